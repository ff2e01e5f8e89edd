import type pg from 'pg';
import { writeDrain } from '../activities/canonical-events';
import type { CanonicalDraft } from '../activities/canonical-events.types';
import type { SessionDelivery, SessionSink } from '../ingest/session-sink';
import type { Logger } from '../runtime/logger';
import { MAX_HOST_DRAIN } from '../workflows/session-host.workflow';

interface Waiting {
  drafts: CanonicalDraft[];
  done: (error?: unknown) => void;
}

/**
 * The benchmark's raw pipeline: no Temporal and no staging. Each delivery is
 * a host's group of events (every event with its device key); a host's
 * deliveries are written in order, up to a host drain's worth
 * (MAX_HOST_DRAIN) per transaction through the same write path (sessions,
 * lineage, duplicates, identities) as a host's drain, while different hosts
 * write side by side. So the raw pipeline batches exactly as the host
 * workflows do, and the difference between the two is what Temporal and the
 * staging cost.
 */
export class DirectSink implements SessionSink {
  private readonly hosts = new Map<string, Waiting[]>();
  private readonly flushing = new Set<string>();

  constructor(
    private readonly pool: pg.Pool,
    private readonly log: Logger,
  ) {}

  deliver(d: SessionDelivery): Promise<void> {
    const queue = this.hosts.get(d.workflowId) ?? [];
    this.hosts.set(d.workflowId, queue);
    return new Promise((resolve, reject) => {
      queue.push({ drafts: d.events, done: (error) => (error ? reject(error) : resolve()) });
      void this.flush(d.workflowId, d.sessionTimeoutMs);
    });
  }

  private async flush(hostId: string, sessionTimeoutMs: number): Promise<void> {
    if (this.flushing.has(hostId)) return;
    this.flushing.add(hostId);
    const queue = this.hosts.get(hostId) as Waiting[];
    try {
      while (queue.length > 0) {
        const batch: Waiting[] = [];
        let size = 0;
        while (queue.length > 0 && (batch.length === 0 || size + (queue[0] as Waiting).drafts.length <= MAX_HOST_DRAIN)) {
          const next = queue.shift() as Waiting;
          batch.push(next);
          size += next.drafts.length;
        }
        try {
          await writeDrain(this.pool, this.log, { workflowId: hostId, runId: 'raw-pipeline', sessionTimeoutMs, events: batch.flatMap((b) => b.drafts) });
          for (const b of batch) b.done();
        } catch (error) {
          for (const b of batch) b.done(error);
        }
      }
    } finally {
      this.flushing.delete(hostId);
    }
  }
}
