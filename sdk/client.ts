import { connect, headers as natsHeaders, type ConnectionOptions, type JetStreamClient, type NatsConnection } from 'nats';
import { CHANNEL_PATTERN, PROJECT_ID_PATTERN, type EventType } from '../contracts/envelope';
import { RAW_STREAM, TRACEPARENT_HEADER, rawSubject } from '../contracts/wire';
import { DEFAULT_RETRY, type RetryPolicy } from './backoff';
import { BraidValidationError } from './errors';
import { buildEvent, encodeForSend, type BuiltEvent } from './events';
import { PublishQueue, type Delivery } from './publish-queue';
import type { AliasCall, GroupCall, IdentifyCall, PageCall, ScreenCall, TrackCall, TrackingPlan } from './tracking-plan';

export interface ClientOptions<P extends TrackingPlan | undefined = undefined> {
  /** NATS servers, e.g. `nats://127.0.0.1:4222` (ignored when `connection` is given). */
  servers?: string | string[];
  projectId: string;
  /** `web`, `mobile`, `backend` or another channel registered on the project. */
  channel: string;
  /** Declared events and their properties; makes `track()` type-checked and validated. */
  trackingPlan?: P;
  /** An open connection to use instead of connecting; `close()` leaves it open. */
  connection?: NatsConnection;
  /** Extra nats.js connection options (name, auth, TLS, ...). */
  natsOptions?: Omit<ConnectionOptions, 'servers'>;
  /** Events waiting or in flight at most (default 10 000); more are refused with BraidQueueFullError. */
  maxQueueSize?: number;
  /** Events published in one round (default 100). */
  maxBatchSize?: number;
  /** How long a lone event waits for company (default 20 ms). */
  flushIntervalMs?: number;
  /** How long one publish attempt waits for JetStream's ack (default 5 s). */
  publishTimeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** Context merged under every event's own context (e.g. `{ app: { name, version } }`). */
  context?: Record<string, unknown>;
  /**
   * The caller's W3C traceparent, asked for when an event is sent (in the
   * caller's context), so braid's trace of the event starts at the publish:
   * with OpenTelemetry, `() => { const c = {}; propagation.inject(context.active(), c); return c.traceparent; }`.
   */
  traceparent?: () => string | undefined;
  /** Called for every event that is refused or not delivered, for callers that do not await. */
  onError?: (error: unknown, messageId: string | null) => void;
}

export interface CloseOptions {
  /** How long close() tries to deliver what is queued (default 10 s). */
  timeoutMs?: number;
}

/**
 * braid's client for backend services: builds Segment-Spec events, checks
 * them against the contract's envelope (and the app's tracking plan) before
 * anything is sent, and publishes them to `braid.raw.<projectId>.<channel>`
 * with `Nats-Msg-Id` = messageId. Each call's promise resolves once JetStream
 * has acked that event, and rejects if it was refused or never acked.
 * Events are batched in a bounded queue and retried with backoff across
 * NATS outages; `flush()` waits for everything queued, `close()` delivers
 * what it can and then lets go of the connection.
 */
export class BraidClient<P extends TrackingPlan | undefined = undefined> {
  private readonly subject: string;
  private readonly queue: PublishQueue;
  private readonly connecting: Promise<NatsConnection>;
  private js: JetStreamClient | null = null;
  private readonly ownsConnection: boolean;
  /** Traceparents of queued events, asked for when each was sent. */
  private readonly traceparents = new WeakMap<BuiltEvent, string>();

  constructor(private readonly options: ClientOptions<P>) {
    if (!PROJECT_ID_PATTERN.test(options.projectId)) throw new Error(`projectId must match ${PROJECT_ID_PATTERN}`);
    if (!CHANNEL_PATTERN.test(options.channel)) throw new Error(`channel must match ${CHANNEL_PATTERN}`);
    if (!options.connection && !options.servers) throw new Error('give servers or connection');
    this.subject = rawSubject(options.projectId, options.channel);
    this.ownsConnection = !options.connection;
    this.connecting = options.connection
      ? Promise.resolve(options.connection)
      : connect({
          name: `braid-sdk ${options.projectId}/${options.channel}`,
          maxReconnectAttempts: -1,
          reconnectTimeWait: 250,
          waitOnFirstConnect: true,
          ...options.natsOptions,
          servers: options.servers,
        });
    // A failed first connect surfaces through the publishes that need it.
    this.connecting.catch(() => undefined);
    const publishTimeoutMs = options.publishTimeoutMs ?? 5_000;
    this.queue = new PublishQueue(
      (event) => this.publishOne(event, publishTimeoutMs),
      {
        maxQueueSize: options.maxQueueSize ?? 10_000,
        maxBatchSize: options.maxBatchSize ?? 100,
        flushIntervalMs: options.flushIntervalMs ?? 20,
        retry: { ...DEFAULT_RETRY, ...options.retry },
      },
      (error, event) => options.onError?.(error, event.messageId),
    );
  }

  track(call: TrackCall<P>): Promise<Delivery> {
    return this.send('track', call);
  }

  identify(call: IdentifyCall): Promise<Delivery> {
    return this.send('identify', call);
  }

  alias(call: AliasCall): Promise<Delivery> {
    return this.send('alias', call);
  }

  page(call: PageCall): Promise<Delivery> {
    return this.send('page', call);
  }

  screen(call: ScreenCall): Promise<Delivery> {
    return this.send('screen', call);
  }

  group(call: GroupCall): Promise<Delivery> {
    return this.send('group', call);
  }

  /** Events waiting or in flight. */
  get pending(): number {
    return this.queue.size;
  }

  /** Resolves when every event queued so far is acked or has failed. */
  flush(): Promise<{ delivered: number; failed: number }> {
    return this.queue.flush();
  }

  /** Refuses new events, delivers the queued ones within the timeout, then closes its own connection. */
  async close(options: CloseOptions = {}): Promise<{ delivered: number; failed: number }> {
    const outcome = await this.queue.close(options.timeoutMs ?? 10_000);
    if (this.ownsConnection) {
      const nc = await this.connecting.catch(() => null);
      if (nc && !nc.isClosed()) await nc.close();
    }
    return outcome;
  }

  private send(type: EventType, call: object): Promise<Delivery> {
    let event: BuiltEvent;
    try {
      event = buildEvent(type, call as Record<string, unknown>, { context: this.options.context, trackingPlan: this.options.trackingPlan });
    } catch (error) {
      this.options.onError?.(error, error instanceof BraidValidationError ? error.messageId : null);
      return observed(Promise.reject(error));
    }
    const traceparent = this.options.traceparent?.();
    if (traceparent && TRACEPARENT.test(traceparent)) this.traceparents.set(event, traceparent);
    const delivery = this.queue.enqueue(event);
    return observed(delivery);
  }

  private async publishOne(event: BuiltEvent, timeoutMs: number): Promise<Omit<Delivery, 'messageId'>> {
    if (!this.js) this.js = (await this.connecting).jetstream();
    const traceparent = this.traceparents.get(event);
    const ack = await this.js.publish(this.subject, encodeForSend(event, new Date()), {
      msgID: event.messageId,
      ...(traceparent ? { headers: traceHeaders(traceparent) } : {}),
      timeout: timeoutMs,
      expect: { streamName: RAW_STREAM },
    });
    return { stream: ack.stream, seq: ack.seq, duplicate: ack.duplicate };
  }
}

/**
 * Marks a promise as handled, so a caller that fires and forgets does not
 * crash the process on a failure (onError still hears of it); a caller that
 * awaits still gets the rejection.
 */
/** A W3C traceparent: version, trace id, parent id, flags. */
const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

function traceHeaders(traceparent: string) {
  const h = natsHeaders();
  h.set(TRACEPARENT_HEADER, traceparent);
  return h;
}

function observed<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

export function createClient<const P extends TrackingPlan | undefined = undefined>(options: ClientOptions<P>): BraidClient<P> {
  return new BraidClient<P>(options);
}
