import { SingleBar } from 'cli-progress';
import { headers, type NatsConnection, type PubAck } from 'nats';
import { rawSubject } from '../contracts/wire';
import { withSentAt } from '../rules/synth-expectation';
import type { SynthChannel, SynthMessage } from '../rules/synth-traffic';

/**
 * Publishes `braid synth` traffic in its order, as clients would: over NATS
 * (one JetStream publish per event, `Nats-Msg-Id` = messageId, except for a
 * retrying client that sends no header and events without a messageId), or
 * through the HTTP collector (`POST /v1/batch` with each channel's write key,
 * consecutive events of a channel in one request, a retry always in the
 * request of its original, up to 8 requests at once). `sentAt` is stamped at sending with this
 * machine's clock, off by the device's skew. `rate` paces events per second;
 * progress goes to stderr.
 */
export interface PublishOptions {
  /** Events per second; as fast as acks come when absent. */
  rate?: number;
  label: string;
}

export interface PublishReport {
  sent: number;
  /** NATS: messages JetStream acked as duplicates of a Nats-Msg-Id it already had (a fresh project has none). */
  streamDuplicates: number;
  /** HTTP: the collector's refusals, by reason. */
  collectorRejections: Record<string, number>;
}

/** A refusal that says the run's arguments are wrong (a bad write key): exit 2. */
export class SynthPublishRefused extends Error {}

const MAX_IN_FLIGHT = 256;
const MAX_BATCH = 100;
const MAX_ATTEMPTS = 8;
const MAX_REQUESTS_IN_FLIGHT = 8;

export async function publishOverNats(nc: NatsConnection, projectId: string, messages: readonly SynthMessage[], options: PublishOptions): Promise<PublishReport> {
  const js = nc.jetstream();
  const report: PublishReport = { sent: 0, streamDuplicates: 0, collectorRejections: {} };
  const progress = startProgress(messages.length, options.label);
  const pacer = new Pacer(options.rate);
  const inFlight: Promise<PubAck>[] = [];
  const settle = async (ack: Promise<PubAck>) => {
    if ((await ack).duplicate) report.streamDuplicates += 1;
    report.sent += 1;
    progress.update(report.sent);
  };
  try {
    for (let i = 0; i < messages.length; i++) {
      await pacer.waitFor(i);
      const message = messages[i] as SynthMessage;
      const h = headers();
      if (message.natsMsgId) h.set('Nats-Msg-Id', String(message.payload.messageId));
      const ack = js.publish(rawSubject(projectId, message.channel), JSON.stringify(withSentAt(message, Date.now())), { headers: h });
      ack.catch(() => undefined); // observed when its turn comes
      inFlight.push(ack);
      if (inFlight.length >= MAX_IN_FLIGHT) await settle(inFlight.shift() as Promise<PubAck>);
    }
    while (inFlight.length > 0) await settle(inFlight.shift() as Promise<PubAck>);
  } finally {
    // A failed publish leaves the others in flight: wait for them, so none rejects unobserved.
    await Promise.allSettled(inFlight);
    progress.stop();
  }
  return report;
}

export async function publishOverHttp(
  baseUrl: string,
  writeKeys: Readonly<Record<SynthChannel, string>>,
  messages: readonly SynthMessage[],
  options: PublishOptions,
): Promise<PublishReport> {
  const report: PublishReport = { sent: 0, streamDuplicates: 0, collectorRejections: {} };
  const progress = startProgress(messages.length, options.label);
  const pacer = new Pacer(options.rate);
  const inFlight: Promise<void>[] = [];
  try {
    let i = 0;
    while (i < messages.length) {
      await pacer.waitFor(i);
      const channel = (messages[i] as SynthMessage).channel;
      let end = i + 1;
      const due = pacer.dueBy(Date.now());
      while (end < messages.length && end - i < MAX_BATCH && end < due && messages[end]?.channel === channel) end++;
      // A retry goes in the request of its original: inside JetStream's duplicate window, whatever the rate.
      while (end < messages.length && messages[end]?.tags.includes('retry') && messages[end]?.channel === channel) end++;
      const batch = messages.slice(i, end);
      const request = postBatch(baseUrl, writeKeys[channel], batch).then((rejected) => {
        for (const reason of rejected) report.collectorRejections[reason] = (report.collectorRejections[reason] ?? 0) + 1;
        report.sent += batch.length;
        progress.update(report.sent);
      });
      request.catch(() => undefined); // observed when its turn comes
      inFlight.push(request);
      // A few requests at once, as several clients would send them (braid's rules do not depend on arrival order).
      if (inFlight.length >= MAX_REQUESTS_IN_FLIGHT) await inFlight.shift();
      i = end;
    }
    while (inFlight.length > 0) await inFlight.shift();
  } finally {
    await Promise.allSettled(inFlight);
    progress.stop();
  }
  return report;
}

/** One `/v1/batch` request, resent on 429 and 503 after Retry-After; returns the reasons of the events the collector refused. */
async function postBatch(baseUrl: string, writeKey: string, batch: readonly SynthMessage[]): Promise<string[]> {
  const body = JSON.stringify({ batch: batch.map((m) => withSentAt(m, Date.now())) });
  for (let attempt = 1; ; attempt++) {
    let res: Response;
    try {
      res = await fetch(`${baseUrl}/v1/batch`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`, 'content-type': 'application/json' },
        body,
      });
    } catch (error) {
      throw new Error(`cannot reach the collector at ${baseUrl} (${(error as Error).message}); is \`braid api\` running (BRAID_API_URL)?`);
    }
    const text = await res.text();
    const answer = parseAnswer(text);
    if (res.status === 200) return [];
    if (res.status === 400 && answer?.error?.code === 'invalid_events') {
      const rejected = (answer.error.details as { rejected?: { reason?: string }[] } | undefined)?.rejected ?? [];
      return rejected.map((r) => String(r.reason));
    }
    if (res.status === 401) throw new SynthPublishRefused(`the collector refused the write key (401 ${answer?.error?.code ?? ''}): check --write-keys`);
    if ((res.status === 429 || res.status === 503) && attempt < MAX_ATTEMPTS) {
      const seconds = Math.min(30, Math.max(1, Number(res.headers.get('retry-after')) || 1));
      process.stderr.write(`braid synth: the collector answered ${res.status} (${answer?.error?.code ?? 'busy'}); resending in ${seconds} s\n`);
      await sleep(seconds * 1000);
      continue;
    }
    throw new Error(`the collector answered ${res.status}: ${answer?.error?.message ?? text.slice(0, 200)}`);
  }
}

function parseAnswer(text: string): { error?: { code?: string; message?: string; details?: unknown } } | null {
  try {
    return JSON.parse(text) as { error?: { code?: string; message?: string; details?: unknown } };
  } catch {
    return null;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Event i may go at start + i / rate seconds. */
class Pacer {
  private readonly startedMs = Date.now();

  constructor(private readonly rate?: number) {}

  async waitFor(index: number): Promise<void> {
    if (this.rate === undefined) return;
    const at = this.startedMs + (index / this.rate) * 1000;
    const wait = at - Date.now();
    if (wait > 0) await sleep(wait);
  }

  /** How many events may have gone by `nowMs` (all of them without a rate). */
  dueBy(nowMs: number): number {
    if (this.rate === undefined) return Number.MAX_SAFE_INTEGER;
    return Math.floor(((nowMs - this.startedMs) / 1000) * this.rate) + 1;
  }
}

/** A bar on a terminal, a line every few seconds otherwise (stderr). */
function startProgress(total: number, label: string): { update(n: number): void; stop(): void } {
  const started = Date.now();
  const bar = new SingleBar({
    stream: process.stderr,
    format: ` ${label} {bar} {percentage}% | {value}/{total} events | {rate} ev/s | ETA {eta_formatted}`,
    etaBuffer: 50,
    hideCursor: true,
    noTTYOutput: !process.stderr.isTTY,
    notTTYSchedule: 2_000,
  });
  bar.start(Math.max(total, 1), 0, { rate: '0' });
  return {
    update(n) {
      bar.update(n, { rate: (n / Math.max(0.001, (Date.now() - started) / 1000)).toFixed(0) });
    },
    stop() {
      bar.stop();
    },
  };
}
