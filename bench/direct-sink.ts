import type pg from 'pg';
import { writeDrain } from '../activities/canonical-events';
import type { CanonicalDraft } from '../activities/canonical-events.types';
import type { SessionDelivery, SessionSink } from '../ingest/session-sink';
import type { Logger } from '../runtime/logger';

/**
 * The benchmark's raw pipeline: no Temporal. Deliveries arriving together are
 * written in one batched transaction (group commit) through the same write
 * path (sessions, lineage, duplicates) as the session workflow's activity.
 */
export class DirectSink implements SessionSink {
  private queue: { drafts: CanonicalDraft[]; done: (error?: unknown) => void }[] = [];
  private flushing = false;
  private sessionTimeoutMs = 30 * 60_000;

  constructor(private readonly pool: pg.Pool, private readonly log: Logger, private readonly maxBatch = 1000) {}

  deliver(d: SessionDelivery): Promise<void> {
    this.sessionTimeoutMs = d.sessionTimeoutMs;
    const drafts: CanonicalDraft[] = d.events;
    return new Promise((resolve, reject) => {
      this.queue.push({ drafts, done: (error) => (error ? reject(error) : resolve()) });
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        const batch: typeof this.queue = [];
        let size = 0;
        while (this.queue.length > 0 && size < this.maxBatch) {
          const next = this.queue.shift() as (typeof this.queue)[number];
          batch.push(next);
          size += next.drafts.length;
        }
        try {
          await writeDrain(this.pool, this.log, { workflowId: 'raw-pipeline', runId: 'raw-pipeline', sessionTimeoutMs: this.sessionTimeoutMs, events: batch.flatMap((b) => b.drafts) });
          for (const b of batch) b.done();
        } catch (error) {
          for (const b of batch) b.done(error);
        }
      }
    } finally {
      this.flushing = false;
    }
  }
}
