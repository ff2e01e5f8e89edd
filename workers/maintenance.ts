import type pg from 'pg';
import { ensurePartitionsAhead } from '../db/partitions';
import { applyRetention } from '../db/retention';
import type { Logger } from '../runtime/logger';

/**
 * Hourly housekeeping in every worker (one at a time, by advisory lock):
 * partitions for the next three months exist before events need them, and
 * project retention is applied.
 */
export function startMaintenance(pool: pg.Pool, log: Logger, everyMs = 3_600_000): () => void {
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
  return () => clearInterval(timer);
}
