import { and, count, isNull, like, or, sql } from 'drizzle-orm';
import { createDb, type Connection } from './client';
import { lineage } from './schema';

export interface DrainSizeQuantiles {
  p50: number | null;
  p90: number | null;
  p99: number | null;
}

/**
 * Events written per drain (one host or session workflow transaction) over the last `minutes`
 * (quantiles; null with no drains). The rows of one drain share run id and
 * written time in lineage; replays and backfills are not drains.
 */
export async function recentDrainSizes(connection: Connection, minutes = 15): Promise<DrainSizeQuantiles> {
  const db = createDb(connection);
  const drains = db
    .select({ n: count().as('n') })
    .from(lineage)
    .where(
      and(
        sql`${lineage.writtenAt} > now() - make_interval(mins => ${minutes})`,
        isNull(lineage.replayId),
        isNull(lineage.backfillId),
        // Host workflows, per-device workflows, and session workflows of earlier releases.
        or(like(lineage.workflowId, 'sessions:%'), like(lineage.workflowId, 'device:%'), like(lineage.workflowId, 'session:%')),
      ),
    )
    .groupBy(lineage.runId, lineage.writtenAt)
    .as('drains');
  const quantile = (q: number) => sql<number | null>`percentile_cont(${sql.raw(String(q))}) WITHIN GROUP (ORDER BY ${drains.n})`.mapWith(Number);
  const [row] = await db.select({ p50: quantile(0.5), p90: quantile(0.9), p99: quantile(0.99) }).from(drains);
  return row ?? { p50: null, p90: null, p99: null };
}
