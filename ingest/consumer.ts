import { millis, type ConsumerMessages, type JetStreamClient, type JsMsg } from 'nats';
import type pg from 'pg';
import { inTransaction } from '../db/transaction';
import { insertReceipts, type Receipt } from '../db/receipts';
import { driverError } from '../db/query-errors';
import { insertRejections } from '../db/rejected-events';
import type { Rejection } from '../rules/decode-message';
import type { PreparedEvent } from '../rules/prepared-event';
import { DEFAULT_SESSION_HOSTS, type SessionHosting } from '../contracts/hosting';
import { deviceKey, hostWorkflowId } from '../rules/session-key';
import type { Logger } from '../runtime/logger';
import { ingestGroupEvents, ingestHandoffs, ingestMessages, ingestRedeliveries, observeSince } from '../runtime/metrics';
import { activeTracing, failSpan, SpanKind, startSpan, traceparentOf, withSpan } from '../runtime/tracing';
import type { Span } from '@opentelemetry/api';
import type { ProjectDirectory } from './project-directory';
import { RAW_STREAM, TRACEPARENT_HEADER } from '../contracts/wire';
import { classifyChunk, exhausted } from './chunk';
import { SessionBatcher, type Group } from './session-batcher';
import { isPermanentSinkError, type SessionSink } from './session-sink';

/** How long one pull request waits for messages before the client sends another. */
const PULL_EXPIRES_MS = 5_000;

export interface IngestOptions {
  durable: string;
  /** Messages per pull (a bound on what one pull brings into memory). */
  fetchSize: number;
  lingerMs: number;
  maxGroupEvents: number;
  maxGroupBytes: number;
  maxInflightSignals: number;
  /** Failed hand-offs of one message before it becomes a `delivery_attempts_exhausted` rejection. */
  maxDeliver: number;
  /** Device actors on their project's host workflows, or one workflow per device. */
  hosting: SessionHosting;
}

export interface IngestStats {
  messages: number;
  accepted: number;
  rejected: number;
  signals: number;
  signalledEvents: number;
  failedSignals: number;
  inflight: number;
  buffered: number;
}

interface Pending {
  msg: JsMsg;
  event: PreparedEvent;
  /** The event's device, worked out once: it picks the host and travels with the event. */
  deviceKey: string;
  /** When ingest decided the message (ms): the start of its ingest → hand-off stage. */
  ingestedAtMs: number;
  /** The event's ingest span when tracing is on; its trace continues in the host's drain. */
  span?: Span;
  /** W3C traceparent the event travels with: its ingest span's, or the publisher's when this process does not trace. */
  traceparent?: string;
}

/** Delivery attempts after which a message that keeps failing is rejected at once (a crash loop guard). */
const CRASH_LOOP_FACTOR = 10;

/**
 * The JetStream consumer: pulls from BRAID_RAW in bounded batches, records a
 * receipt per message, rejects bad messages (recorded, then terminated),
 * groups good ones by host workflow across pulls for a bounded linger, and
 * hands each group to its host (staged rows and one notice signal). Messages are acked only
 * after the hand-off is durable; a failed hand-off naks with a growing delay.
 */
export class IngestConsumer {
  private readonly batcher: SessionBatcher<Pending>;
  private readonly inbox: JsMsg[] = [];
  /** Groups waiting for room in flight, in order, and by key so later events can join them. */
  private readonly ready: Group<Pending>[] = [];
  private readonly readyByKey = new Map<string, Group<Pending>>();
  private readonly inflight = new Set<Promise<void>>();
  private messages: ConsumerMessages | null = null;
  private stopping = false;
  private wake: (() => void) | null = null;
  private loop: Promise<void> | null = null;
  readonly stats: IngestStats = { messages: 0, accepted: 0, rejected: 0, signals: 0, signalledEvents: 0, failedSignals: 0, inflight: 0, buffered: 0 };

  constructor(
    private readonly deps: { js: JetStreamClient; pool: pg.Pool; directory: ProjectDirectory; sink: SessionSink; log: Logger },
    private readonly options: IngestOptions,
  ) {
    this.batcher = new SessionBatcher({ lingerMs: options.lingerMs, maxEvents: options.maxGroupEvents, maxBytes: options.maxGroupBytes });
  }

  async start(): Promise<void> {
    await this.deps.directory.load();
    const consumer = await this.deps.js.consumers.get(RAW_STREAM, this.options.durable);
    // Pulls expire after 5 s (nats.js defaults to 30 s): when the cluster node leading the consumer
    // dies, a lost pull is replaced within seconds instead of after two missed 15 s heartbeats.
    this.messages = await consumer.consume({ max_messages: this.options.fetchSize, expires: PULL_EXPIRES_MS });
    const reader = (async () => {
      for await (const msg of this.messages as ConsumerMessages) {
        this.inbox.push(msg);
        if (this.inbox.length >= this.options.fetchSize) this.wake?.();
      }
    })();
    this.loop = this.run().finally(() => reader);
  }

  /** Stops pulling, hands off what is buffered, and waits for every signal in flight. */
  async stop(): Promise<void> {
    if (this.stopping) return this.loop ?? undefined;
    this.stopping = true;
    this.messages?.stop();
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    const tickMs = Math.max(5, Math.min(50, this.options.lingerMs));
    while (!this.stopping || this.inbox.length > 0) {
      if (this.inbox.length === 0) await this.sleep(tickMs);
      const chunk = this.inbox.splice(0, this.inbox.length);
      if (chunk.length > 0) await this.handleChunk(chunk);
      for (const group of this.batcher.takeDue(Date.now())) this.enqueueReady(group);
      this.pump();
      this.stats.buffered = this.batcher.size;
    }
    for (const group of this.batcher.takeAll()) this.enqueueReady(group);
    while (this.ready.length > 0 || this.inflight.size > 0) {
      this.pump();
      if (this.inflight.size > 0) await Promise.race(this.inflight);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = null;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
    });
  }

  /** Decodes a chunk, records receipts and rejections in one transaction, then buffers the accepted events. */
  private async handleChunk(chunk: JsMsg[]): Promise<void> {
    this.stats.messages += chunk.length;
    const arrivals = chunk.map((m) => ({ projectId: m.subject.split('.')[2] ?? '', receivedAtMs: millis(m.info.timestampNanos) }));
    try {
      await this.deps.directory.refreshFor(arrivals);
    } catch (error) {
      this.deps.log.warn({ err: error }, 'could not refresh projects; retrying the chunk later');
      for (const msg of chunk) msg.nak(backoffMs(msg.info.deliveryCount));
      ingestRedeliveries.inc({ reason: 'projects_unavailable' }, chunk.length);
      return;
    }

    const { receipts, rejected: rejections, accepted } = classifyChunk(chunk, (id) => this.deps.directory.get(id), this.options.maxDeliver * CRASH_LOOP_FACTOR);

    try {
      await this.recordReceiptsAndRejections(receipts, rejections.map((r) => r.rejection));
    } catch (error) {
      this.deps.log.warn({ err: driverError(error) }, 'could not record receipts; the chunk will be redelivered');
      for (const msg of chunk) msg.nak(backoffMs(msg.info.deliveryCount));
      ingestRedeliveries.inc({ reason: 'receipts_unrecorded' }, chunk.length);
      return;
    }
    for (const { msg } of rejections) msg.term();
    this.stats.rejected += rejections.length;
    this.stats.accepted += accepted.length;

    const now = Date.now();
    countOutcomes(accepted.map((a) => a.event), rejections.map((r) => r.rejection));
    observeSince('publish_to_ingest', accepted.map((a) => Date.parse(a.event.receivedAt)), now);
    const tracing = activeTracing() !== null;
    for (const { msg, event } of accepted) {
      const pending: Pending = { msg, event, deviceKey: deviceKey(event), ingestedAtMs: now, ...traceOf(msg, event, tracing) };
      const key = this.hostOf(pending);
      if (!this.joinReady(key, [pending], msg.data.byteLength)) this.batcher.add(key, pending, msg.data.byteLength, now);
    }
  }

  /**
   * While signals are backed up, a session's newer events join its group that
   * is still waiting to be sent (within the group bounds): batches grow with
   * load instead of the number of signals.
   */
  private joinReady(key: string, items: Pending[], bytes: number): boolean {
    const waiting = this.readyByKey.get(key);
    if (!waiting || waiting.items.length + items.length > this.options.maxGroupEvents || waiting.bytes + bytes > this.options.maxGroupBytes) return false;
    waiting.items.push(...items);
    waiting.bytes += bytes;
    return true;
  }

  private enqueueReady(group: Group<Pending>): void {
    if (this.joinReady(group.key, group.items, group.bytes)) return;
    this.ready.push(group);
    if (!this.readyByKey.has(group.key)) this.readyByKey.set(group.key, group);
  }

  private async recordReceiptsAndRejections(receipts: Receipt[], rejections: Rejection[]): Promise<void> {
    await inTransaction(this.deps.pool, async (client) => {
      await insertReceipts(client, receipts);
      await insertRejections(client, rejections);
    });
  }

  /** Starts hand-offs for ready groups while there is room in flight. */
  private pump(): void {
    while (this.ready.length > 0 && this.inflight.size < this.options.maxInflightSignals) {
      const group = this.ready.shift() as Group<Pending>;
      if (this.readyByKey.get(group.key) === group) this.readyByKey.delete(group.key);
      const task = this.deliver(group).finally(() => {
        this.inflight.delete(task);
        this.stats.inflight = this.inflight.size;
      });
      this.inflight.add(task);
      this.stats.inflight = this.inflight.size;
    }
  }

  /** The workflow that hosts this event's device actor: the group key. */
  private hostOf({ event, deviceKey }: Pending): string {
    const hosts = this.deps.directory.get(event.projectId)?.sessionHosts ?? DEFAULT_SESSION_HOSTS;
    return hostWorkflowId({ projectId: event.projectId, channel: event.channel, deviceKey, hosts, hosting: this.options.hosting });
  }

  private async deliver(group: Group<Pending>): Promise<void> {
    const { projectId } = (group.items[0] as Pending).event;
    // Temporal's client interceptor puts the notice signal in the trace of the group's first traced event.
    const carrier = group.items.find((p) => p.span)?.span;
    try {
      await withSpan(carrier, () =>
        this.deps.sink.deliver({
          workflowId: group.key,
          projectId,
          sessionTimeoutMs: this.deps.directory.get(projectId)?.sessionTimeoutMs ?? 30 * 60_000,
          events: group.items.map((p) => ({ ...p.event, deviceKey: p.deviceKey, ...(p.traceparent ? { traceparent: p.traceparent } : {}) })),
        }),
      );
      for (const { msg } of group.items) msg.ack();
      this.stats.signals += 1;
      this.stats.signalledEvents += group.items.length;
      ingestHandoffs.inc({ result: 'delivered' });
      ingestGroupEvents.observe(group.items.length);
      observeSince('ingest_to_handoff', group.items.map((p) => p.ingestedAtMs));
      for (const { span } of group.items) span?.setAttributes({ 'braid.group_events': group.items.length, 'braid.host_workflow': group.key }).end();
    } catch (error) {
      this.stats.failedSignals += 1;
      ingestHandoffs.inc({ result: 'failed' });
      await this.handleFailedDelivery(group, error);
    }
  }

  private async handleFailedDelivery(group: Group<Pending>, error: unknown): Promise<void> {
    const permanent = isPermanentSinkError(error);
    // A host's group holds many devices' events: one that can never be handed off must not take its neighbours along.
    if (permanent && group.items.length > 1) {
      for (const item of group.items) await this.deliver({ ...group, items: [item], bytes: item.msg.data.byteLength });
      return;
    }
    const exhaustedOnes = group.items.filter(({ msg }) => permanent && msg.info.deliveryCount >= this.options.maxDeliver);
    this.deps.log.warn({ err: error, events: group.items.length, permanent }, 'session hand-off failed');
    if (exhaustedOnes.length > 0) {
      try {
        await insertRejections(this.deps.pool, exhaustedOnes.map(({ event, msg }) => exhausted(event, msg.info.deliveryCount, error)));
        for (const { msg } of exhaustedOnes) msg.term();
        this.stats.rejected += exhaustedOnes.length;
        countOutcomes([], exhaustedOnes.map(({ event, msg }) => exhausted(event, msg.info.deliveryCount)));
      } catch (recordError) {
        this.deps.log.warn({ err: driverError(recordError) }, 'could not record exhausted messages; they will be redelivered');
        for (const { msg } of exhaustedOnes) msg.nak(backoffMs(msg.info.deliveryCount));
      }
    }
    for (const item of group.items) {
      if (exhaustedOnes.some((e) => e.msg === item.msg)) {
        if (item.span) failSpan(item.span, error);
        continue;
      }
      item.msg.nak(backoffMs(item.msg.info.deliveryCount));
      ingestRedeliveries.inc({ reason: 'handoff_failed' });
      // The redelivered message gets an ingest span of its own; this one says why this attempt failed.
      if (item.span) failSpan(item.span, error);
    }
  }
}

/** Counts a chunk's outcomes in braid_ingest_messages_total. */
function countOutcomes(accepted: readonly PreparedEvent[], rejected: readonly Rejection[]): void {
  const counts = new Map<string, { labels: Record<string, string>; n: number }>();
  const add = (labels: Record<string, string>) => {
    const key = JSON.stringify(labels);
    const entry = counts.get(key) ?? { labels, n: 0 };
    entry.n += 1;
    counts.set(key, entry);
  };
  for (const e of accepted) add({ project: e.projectId, channel: e.channel, outcome: 'accepted', reason: '' });
  for (const r of rejected) add({ project: r.projectId ?? 'unknown', channel: r.channel ?? 'unknown', outcome: 'rejected', reason: r.reason });
  for (const { labels, n } of counts.values()) ingestMessages.inc(labels, n);
}

/**
 * The event's place in a trace: an ingest span under the publisher's
 * traceparent (NATS header) when this process traces, else the publisher's
 * traceparent passed along as it came.
 */
function traceOf(msg: JsMsg, event: PreparedEvent, tracing: boolean): Pick<Pending, 'span' | 'traceparent'> {
  const incoming = msg.headers?.get(TRACEPARENT_HEADER) || undefined;
  if (!tracing) return incoming ? { traceparent: incoming } : {};
  const span = startSpan('braid.ingest', {
    parent: incoming ?? null,
    kind: SpanKind.CONSUMER,
    attributes: {
      'messaging.system': 'nats',
      'messaging.destination.name': msg.subject,
      'messaging.message.id': event.messageId,
      'braid.project': event.projectId,
      'braid.stream_sequence': msg.info.streamSequence,
      'braid.delivery_attempt': msg.info.deliveryCount,
    },
  });
  return { span, traceparent: traceparentOf(span) };
}

/** 1 s, 2 s, 4 s … up to a minute between attempts. */
export function backoffMs(deliveryCount: number): number {
  return Math.min(60_000, 1_000 * 2 ** Math.max(0, deliveryCount - 1));
}
