import { retryDelayMs, type RetryPolicy } from './backoff';
import { BraidClosedError, BraidPublishError, BraidQueueFullError } from './errors';
import type { BuiltEvent } from './events';

/** What JetStream said when it stored an event. */
export interface Delivery {
  messageId: string;
  stream: string;
  seq: number;
  /** JetStream had this messageId already (a retry of a publish whose ack was lost). */
  duplicate: boolean;
}

export type PublishOne = (event: BuiltEvent) => Promise<Omit<Delivery, 'messageId'>>;

export interface QueueOptions {
  /** Events waiting or in flight at most; more are refused with BraidQueueFullError. */
  maxQueueSize: number;
  /** Events published together in one round (concurrently, in order on the wire). */
  maxBatchSize: number;
  /** How long a lone event waits for company before its round starts. */
  flushIntervalMs: number;
  retry: RetryPolicy;
}

interface Item {
  event: BuiltEvent;
  attempts: number;
  settled: boolean;
  resolve: (d: Delivery) => void;
  reject: (e: unknown) => void;
  done: Promise<boolean>;
}

/**
 * A bounded queue that publishes in rounds: up to maxBatchSize events at
 * once, each with its own JetStream ack. Events whose publish failed go back
 * to the head of the queue, in order, and the next round waits a growing,
 * jittered delay; an event that fails maxAttempts times rejects. One round at
 * a time keeps a client's events in order and its memory bounded.
 */
export class PublishQueue {
  private readonly waiting: Item[] = [];
  private inflight = 0;
  private flushing = 0;
  private closed = false;
  private stopped = false;
  private wake: (() => void) | null = null;
  private readonly loop: Promise<void>;

  constructor(
    private readonly publish: PublishOne,
    private readonly options: QueueOptions,
    private readonly onFailure: (error: unknown, event: BuiltEvent) => void = () => undefined,
  ) {
    this.loop = this.run();
  }

  get size(): number {
    return this.waiting.length + this.inflight;
  }

  enqueue(event: BuiltEvent): Promise<Delivery> {
    const refusal = this.closed ? new BraidClosedError() : this.size >= this.options.maxQueueSize ? new BraidQueueFullError(this.options.maxQueueSize) : null;
    if (refusal) {
      this.onFailure(refusal, event);
      return Promise.reject(refusal);
    }
    let resolve!: (d: Delivery) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<Delivery>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const item: Item = { event, attempts: 0, settled: false, resolve, reject, done: promise.then(() => true, () => false) };
    this.waiting.push(item);
    this.poke();
    return promise;
  }

  /** Resolves when every event enqueued so far is acked or has failed; says how many of each. */
  async flush(): Promise<{ delivered: number; failed: number }> {
    const pending = [...this.waiting, ...this.inflightItems];
    this.flushing += 1;
    this.poke();
    try {
      const outcomes = await Promise.all(pending.map((i) => i.done));
      return { delivered: outcomes.filter(Boolean).length, failed: outcomes.filter((ok) => !ok).length };
    } finally {
      this.flushing -= 1;
    }
  }

  /**
   * Takes no more events and delivers what it holds within `timeoutMs`; what
   * is still unacked then rejects with BraidClosedError (a publish still in
   * flight may yet be stored: JetStream and braid drop a resend by messageId).
   */
  async close(timeoutMs: number): Promise<{ delivered: number; failed: number }> {
    this.closed = true;
    const pending = [...this.waiting, ...this.inflightItems];
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const first = await Promise.race([this.flush(), deadline]);
    clearTimeout(timer);
    this.stopped = true;
    if (first === 'timeout') {
      for (const item of [...this.waiting, ...this.inflightItems]) this.settle(item, new BraidClosedError('the client closed before JetStream acked this event'));
      this.waiting.length = 0;
      this.abortBackoff?.();
      this.poke();
    } else {
      this.poke();
      await this.loop;
    }
    const outcomes = await Promise.all(pending.map((i) => i.done));
    return { delivered: outcomes.filter(Boolean).length, failed: outcomes.filter((ok) => !ok).length };
  }

  private inflightItems: Item[] = [];
  private abortBackoff: (() => void) | null = null;

  private poke(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = null;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private async run(): Promise<void> {
    let failedRounds = 0;
    let oldestSince = 0;
    while (!this.stopped) {
      if (this.waiting.length === 0) {
        oldestSince = 0;
        await this.sleep(60_000);
        continue;
      }
      if (oldestSince === 0) oldestSince = Date.now();
      const urgent = this.flushing > 0 || this.closed || this.waiting.length >= this.options.maxBatchSize;
      const lingered = Date.now() - oldestSince;
      if (!urgent && failedRounds === 0 && lingered < this.options.flushIntervalMs) {
        await this.sleep(this.options.flushIntervalMs - lingered);
        continue;
      }

      const batch = this.waiting.splice(0, this.options.maxBatchSize);
      this.inflightItems = batch;
      this.inflight = batch.length;
      const results = await Promise.allSettled(batch.map((item) => this.publish(item.event)));
      this.inflightItems = [];
      this.inflight = 0;
      oldestSince = 0;

      const retry: Item[] = [];
      results.forEach((result, i) => {
        const item = batch[i] as Item;
        if (item.settled) return;
        item.attempts += 1;
        if (result.status === 'fulfilled') {
          item.settled = true;
          item.resolve({ messageId: item.event.messageId, ...result.value });
        } else if (item.attempts >= this.options.retry.maxAttempts) {
          this.settle(item, new BraidPublishError(item.event.messageId, item.attempts, result.reason));
        } else {
          retry.push(item);
        }
      });
      if (retry.length === 0) {
        failedRounds = 0;
        continue;
      }
      this.waiting.unshift(...retry);
      failedRounds += 1;
      // New events do not cut a backoff short (that would hammer a server that is down); only close's deadline does.
      if (!this.stopped) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, retryDelayMs(failedRounds, this.options.retry));
          this.abortBackoff = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.abortBackoff = null;
      }
    }
  }

  private settle(item: Item, error: unknown): void {
    if (item.settled) return;
    item.settled = true;
    this.onFailure(error, item.event);
    item.reject(error);
  }
}
