import type pg from 'pg';

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
  await pool.query('SELECT braid.ensure_event_partitions($1::timestamptz, $2::timestamptz)', [`${missing[0]}-01T00:00:00Z`, `${missing.at(-1)}-01T00:00:00Z`]);
  await loadMonths(pool);
}

async function loadMonths(pool: pg.Pool): Promise<Set<string>> {
  const res = await pool.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = 'braid.canonical_events'::regclass AND c.relname ~ '^canonical_events_p[0-9]{6}$'`,
  );
  const months = new Set(res.rows.map((r) => `${r.name.slice(-6, -2)}-${r.name.slice(-2)}`));
  knownMonths.set(pool, months);
  return months;
}
