import { sql } from 'drizzle-orm';
import { createDb, type Connection } from './client';

/**
 * Folds the delta rows the rollup triggers append (migration 0019) into one
 * row per key; returns how many rows it folded. Safe beside writers and other
 * workers doing the same; the views are exact before and after.
 */
export async function compactRollups(connection: Connection): Promise<number> {
  const res = await createDb(connection).execute<{ folded: string }>(sql`SELECT braid.compact_rollups() AS folded`);
  return Number(res.rows[0]?.folded ?? 0);
}
