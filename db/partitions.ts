import { getTableName, sql } from 'drizzle-orm';
import type pg from 'pg';
import { createDb } from './client';
import { braid, canonicalEvents } from './schema';

/** canonical_events' monthly partitions: `canonical_events_pYYYYMM` (braid.ensure_event_partitions names them). */
const PARENT = `${braid.schemaName}.${getTableName(canonicalEvents)}`;
const PARTITION_NAME = `^${getTableName(canonicalEvents)}_p[0-9]{6}$`;

/**
 * Makes sure canonical_events has a partition for every month these event
 * times fall in (late and backfilled events of any age included). Known
 * months are cached per pool, so the common case costs nothing; a new month
 * is created by braid.ensure_event_partitions in its own short transaction,
 * before the write that needs it.
 */
const knownMonths = new WeakMap<pg.Pool, Set<string>>();

export async function ensurePartitionsFor(pool: pg.Pool, eventTimes: Iterable<string>): Promise<void> {
  const months = new Set<string>();
  for (const t of eventTimes) if (/^\d{4}-\d{2}/.test(t)) months.add(t.slice(0, 7));
  if (months.size === 0) return;
  let known = knownMonths.get(pool);
  if (!known || [...months].some((m) => !known!.has(m))) known = await loadMonths(pool);
  const missing = [...months].filter((m) => !known!.has(m)).sort();
  if (missing.length === 0) return;
  await createDb(pool).execute(sql`SELECT braid.ensure_event_partitions(${`${missing[0]}-01T00:00:00Z`}::timestamptz, ${`${missing.at(-1)}-01T00:00:00Z`}::timestamptz)`);
  await loadMonths(pool);
}

/** Partitions from last month to three months ahead, before events need them (hourly housekeeping). */
export async function ensurePartitionsAhead(pool: pg.Pool): Promise<void> {
  await createDb(pool).execute(sql`SELECT braid.ensure_event_partitions(now() - interval '1 month', now() + interval '3 months')`);
}

async function loadMonths(pool: pg.Pool): Promise<Set<string>> {
  const res = await createDb(pool).execute<{ name: string }>(
    sql`SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = ${PARENT}::regclass AND c.relname ~ ${PARTITION_NAME}`,
  );
  const months = new Set(res.rows.map((r) => `${r.name.slice(-6, -2)}-${r.name.slice(-2)}`));
  knownMonths.set(pool, months);
  return months;
}
