import type pg from 'pg';
import type { Percentiles } from './figures';

/**
 * Latency percentiles read back from what analysts query (`analytics.events`).
 * `written_at` is when the writing transaction began (Postgres `now()`), so
 * the event became queryable at most that transaction's duration later.
 */

const percentilesSql = (ms: string) =>
  `round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ${ms}))::int AS p50, round(percentile_cont(0.99) WITHIN GROUP (ORDER BY ${ms}))::int AS p99`;

/** received_at → written_at: from JetStream storing the message to the write, per event of a project. */
export async function receivedToWrittenMs(pool: pg.Pool, projectId: string): Promise<Percentiles> {
  const res = await pool.query<Percentiles>(
    `SELECT ${percentilesSql('extract(epoch FROM written_at - received_at) * 1000')} FROM analytics.events WHERE project_id = $1`,
    [projectId],
  );
  return res.rows[0] ?? { p50: 0, p99: 0 };
}

/**
 * properties.publishedAtMs → written_at, grouped by properties.step: from the
 * benchmark handing the event to JetStream to the write that made it queryable.
 */
export async function publishToWrittenMsByStep(pool: pg.Pool, projectId: string): Promise<Map<number, Percentiles>> {
  const res = await pool.query<Percentiles & { step: number }>(
    `SELECT (properties->>'step')::int AS step,
            ${percentilesSql(`extract(epoch FROM written_at) * 1000 - (properties->>'publishedAtMs')::float8`)}
     FROM analytics.events WHERE project_id = $1 GROUP BY 1`,
    [projectId],
  );
  return new Map(res.rows.map(({ step, p50, p99 }) => [step, { p50, p99 }]));
}
