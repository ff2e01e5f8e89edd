import type pg from 'pg';
import { round } from './figures';

const SAMPLE_MS = 250;

/**
 * Active-session sampling of the bench database (pg_stat_activity a few
 * times a second): how many backends were busy on average, and on what —
 * `CPU` when active without a wait event, else `<wait type>:<wait event>`
 * (e.g. `IO:WALSync`, `Lock:transactionid`). A profile of Postgres without
 * pg_stat_statements.
 */
export class PostgresActivitySampler {
  private readonly counts = new Map<string, number>();
  private samples = 0;
  private timer: NodeJS.Timeout | null = null;
  private sampling: Promise<void> = Promise.resolve();

  constructor(private readonly pool: pg.Pool) {}

  start(): void {
    this.counts.clear();
    this.samples = 0;
    this.timer = setInterval(() => {
      this.sampling = this.sample().catch(() => undefined);
    }, SAMPLE_MS);
  }

  /** Average active backends per state over the window, largest first. */
  async stop(): Promise<Record<string, number>> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.sampling;
    const average = [...this.counts.entries()].map(([state, n]) => [state, round(n / Math.max(1, this.samples))] as const).filter(([, n]) => n >= 0.01);
    return Object.fromEntries(average.sort((a, b) => b[1] - a[1]));
  }

  private async sample(): Promise<void> {
    const res = await this.pool.query<{ state: string }>(
      `SELECT COALESCE(wait_event_type || ':' || wait_event, 'CPU') AS state FROM pg_stat_activity
       WHERE datname = current_database() AND state = 'active' AND pid <> pg_backend_pid()`,
    );
    this.samples += 1;
    for (const { state } of res.rows) this.counts.set(state, (this.counts.get(state) ?? 0) + 1);
  }
}
