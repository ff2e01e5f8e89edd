import type pg from 'pg';
import { ensurePartitionsAhead } from '../db/partitions';
import { applyRetention } from '../db/retention';
import { compactRollups } from '../db/rollups';
import type { Logger } from '../runtime/logger';

/**
 * Hourly housekeeping in every worker (one at a time, by advisory lock):
 * partitions for the next three months exist before events need them, and
 * project retention is applied. Every few seconds the health and quality
 * rollups are folded, so the views read about one row per key.
 */
export function startMaintenance(pool: pg.Pool, log: Logger, everyMs = 3_600_000, compactEveryMs = 10_000): () => void {
  const run = async () => {
    try {
      await ensurePartitionsAhead(pool);
      const result = await applyRetention(pool);
      if (result.droppedPartitions.length || result.trimmedEvents) log.info(result, 'retention applied');
    } catch (error) {
      log.warn({ err: error }, 'maintenance failed; next attempt in an hour');
    }
  };
  void run();
  const timer = setInterval(() => void run(), everyMs);
  timer.unref();
  let compacting = false;
  const compact = setInterval(() => {
    if (compacting) return;
    compacting = true;
    compactRollups(pool)
      .catch((error: unknown) => log.warn({ err: error }, 'folding the rollups failed; the views stay exact, next attempt soon'))
      .finally(() => {
        compacting = false;
      });
  }, compactEveryMs);
  compact.unref();
  return () => {
    clearInterval(timer);
    clearInterval(compact);
  };
}
