import type { JetStreamManager, NatsConnection } from 'nats';
import { RAW_STREAM } from '../../contracts/wire';
import { subjectMatches } from '../../rules/subject-filter';

interface ConsumerBacklog {
  filters: string[];
  pending: number;
}

/**
 * The backlog of the ingest consumers, read from JetStream at most once per
 * `cacheMs` (one reading is shared by every request meanwhile). A request's
 * backlog is the largest `num_pending` among the named consumers whose filter
 * covers its subject. When JetStream cannot be asked, the last reading stands.
 */
export class BacklogMonitor {
  private readings: ConsumerBacklog[] | null = null;
  private readAt = 0;
  private refreshing: Promise<void> | null = null;
  private jsm: JetStreamManager | null = null;

  constructor(
    private readonly nc: NatsConnection,
    private readonly consumers: readonly string[],
    private readonly cacheMs: number,
  ) {}

  async backlog(subject: string): Promise<number> {
    if (Date.now() - this.readAt >= this.cacheMs && !this.refreshing) {
      this.refreshing = this.refresh().finally(() => {
        this.refreshing = null;
      });
    }
    // Under steady traffic a reading is renewed in the background; after a
    // quiet spell (or at the start) the request waits for a fresh one.
    if (this.readings === null || Date.now() - this.readAt >= 2 * this.cacheMs) await this.refreshing;
    let max = 0;
    for (const c of this.readings ?? []) {
      if (c.pending > max && (c.filters.length === 0 || c.filters.some((f) => subjectMatches(f, subject)))) max = c.pending;
    }
    return max;
  }

  private async refresh(): Promise<void> {
    try {
      this.jsm ??= await this.nc.jetstreamManager({ timeout: 2_000 });
      const jsm = this.jsm;
      const infos = await Promise.all(this.consumers.map((name) => jsm.consumers.info(RAW_STREAM, name).catch(() => null)));
      this.readings = infos.flatMap((info) => {
        if (!info) return [];
        const filters = [...(info.config.filter_subjects ?? []), ...(info.config.filter_subject ? [info.config.filter_subject] : [])];
        return [{ filters, pending: info.num_pending }];
      });
    } catch {
      this.readings ??= [];
    } finally {
      this.readAt = Date.now();
    }
  }
}
