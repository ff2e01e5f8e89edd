import type { JetStreamClient } from 'nats';
import type { BenchMessage } from '../workload';

/** Publishes one message; resolves once JetStream acked it. */
async function publish(js: JetStreamClient, m: BenchMessage): Promise<void> {
  const ack = await js.publish(m.subject, m.data, m.msgId ? { msgID: m.msgId } : undefined);
  if (ack.duplicate) throw new Error(`JetStream treated ${m.msgId} as a duplicate: the workload's message ids must be new`);
}

/**
 * Closed loop, as one fast client publishes: every message as soon as there
 * is room among `maxInFlight` unacknowledged publishes. Returns how many were acked.
 */
export async function publishAll(js: JetStreamClient, messages: Iterable<BenchMessage>, maxInFlight = 512): Promise<number> {
  const inFlight = new Set<Promise<void>>();
  let acked = 0;
  let failure: unknown = null;
  for (const m of messages) {
    if (failure) break;
    const p: Promise<void> = publish(js, m)
      .then(
        () => void (acked += 1),
        (error: unknown) => void (failure ??= error),
      )
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
    if (inFlight.size >= maxInFlight) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  if (failure) throw failure;
  return acked;
}

export interface RateStep {
  /** Messages per second. */
  rate: number;
  seconds: number;
  /** Unacknowledged publishes allowed at once; the publisher waits (and falls behind) beyond it. */
  maxInFlight: number;
  /** The i-th message, made when it is sent (`sentAtMs`, epoch ms). */
  message: (i: number, sentAtMs: number) => BenchMessage;
}

export interface RateResult {
  scheduled: number;
  /** Acked by JetStream. */
  published: number;
  failed: number;
  /** Messages sent more than LATE_MS after their slot: the publisher itself fell behind. */
  late: number;
  maxLagMs: number;
  startedAtMs: number;
  /** When the last publish was acked (epoch ms): the step's end. */
  endedAtMs: number;
}

/** A message sent this much after its slot counts as late. */
export const LATE_MS = 100;

/**
 * Open loop: message i is due at start + i / rate, whether or not earlier
 * ones were acked (within `maxInFlight`). Failed publishes are counted, not
 * retried.
 */
export async function publishAtRate(js: JetStreamClient, step: RateStep): Promise<RateResult> {
  const total = Math.round(step.rate * step.seconds);
  const intervalMs = 1000 / step.rate;
  const result: RateResult = { scheduled: total, published: 0, failed: 0, late: 0, maxLagMs: 0, startedAtMs: Date.now(), endedAtMs: 0 };
  const t0 = performance.now();
  const inFlight = new Set<Promise<void>>();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor((performance.now() - t0) / intervalMs) + 1);
    while (sent < due && inFlight.size < step.maxInFlight) {
      const lagMs = performance.now() - (t0 + sent * intervalMs);
      if (lagMs > LATE_MS) result.late += 1;
      result.maxLagMs = Math.max(result.maxLagMs, lagMs);
      const p: Promise<void> = publish(js, step.message(sent, Date.now()))
        .then(
          () => void (result.published += 1),
          () => void (result.failed += 1),
        )
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
      sent += 1;
    }
    if (inFlight.size >= step.maxInFlight) await Promise.race(inFlight);
    else if (sent < total) {
      const untilNextMs = t0 + sent * intervalMs - performance.now();
      await new Promise((r) => setTimeout(r, Math.max(1, Math.min(10, untilNextMs))));
    }
  }
  await Promise.all(inFlight);
  result.endedAtMs = Date.now();
  result.maxLagMs = Math.round(result.maxLagMs);
  return result;
}
