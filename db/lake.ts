import { getViewSelectedFields, sql, type Column } from 'drizzle-orm';
import { toSnakeCase } from 'drizzle-orm/casing';
import type pg from 'pg';
import { anyOf } from './bulk';
import { createDb } from './client';
import { inTransaction } from './transaction';
import { analyticsEvents, canonicalEvents, identities, lakeChanges, lakeExports, lakeIdentityChanges } from './schema';

/**
 * Postgres's side of the lake export: which (project, event date) partitions
 * changed since they were last written (kept by the triggers of migration
 * `lake_triggers` while a lake is registered), and the rows of one partition
 * as `analytics.events` has them.
 */

export interface LakePartition {
  projectId: string;
  eventDate: string;
}

/** The UTC calendar date of an event, as the partitions use it. */
const eventDate = sql`(${canonicalEvents.eventTime} AT TIME ZONE 'UTC')::date`;

/**
 * Registers the database's lake so the triggers record changes for it. A new
 * lake (the first, or another directory than before) starts with every
 * partition queued; writers are held off for that moment (SHARE lock), so no
 * write falls between "not recorded" and "queued". True when it was new.
 */
export async function registerLake(pool: pg.Pool, lakeUrl: string): Promise<boolean> {
  return createDb(pool).transaction(async (tx) => {
    // Workers starting together register one at a time.
    await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext('braid:lake-register'))`);
    const [known] = await tx.select({ lakeUrl: lakeExports.lakeUrl }).from(lakeExports).limit(1);
    if (known?.lakeUrl === lakeUrl) return false;
    await tx.execute(sql`LOCK TABLE ${canonicalEvents}, ${identities} IN SHARE MODE`);
    await tx.delete(lakeExports);
    await tx.delete(lakeChanges);
    await tx.delete(lakeIdentityChanges);
    await tx.insert(lakeExports).values({ lakeUrl });
    await tx.execute(sql`
      INSERT INTO ${lakeChanges} (project_id, event_date)
      SELECT DISTINCT ${canonicalEvents.projectId}, ${eventDate} FROM ${canonicalEvents}`);
    return true;
  });
}

/**
 * Turns identities whose person changed into the partitions holding their
 * events, then forgets them (exactly the rows read). Returns how many were
 * turned.
 */
export async function expandIdentityChanges(pool: pg.Pool, limit = 1000): Promise<number> {
  return createDb(pool).transaction(async (tx) => {
    const changed = await tx
      .select({ seq: lakeIdentityChanges.seq })
      .from(lakeIdentityChanges)
      .orderBy(lakeIdentityChanges.seq)
      .limit(limit)
      .for('update', { skipLocked: true });
    if (changed.length === 0) return 0;
    const seqs = changed.map((c) => c.seq);
    const c = lakeIdentityChanges;
    const e = canonicalEvents;
    const datesOf = (kind: string, idColumn: Column) => sql`
      SELECT ${e.projectId}, ${eventDate} FROM ${c} JOIN ${e} ON ${e.projectId} = ${c.projectId} AND ${idColumn} = ${c.id}
      WHERE ${anyOf(c.seq, seqs)} AND ${c.kind} = ${kind}`;
    await tx.execute(sql`
      INSERT INTO ${lakeChanges} (project_id, event_date)
      ${datesOf('user', e.userId)} UNION ${datesOf('anonymous', e.anonymousId)}`);
    await tx.execute(sql`DELETE FROM ${lakeIdentityChanges} WHERE ${anyOf(lakeIdentityChanges.seq, seqs)}`);
    return changed.length;
  });
}

/**
 * Runs `work` in a REPEATABLE READ transaction holding the project's lake
 * lock: the rows it reads and the changes it forgets are of one snapshot, so
 * a change committed meanwhile stays queued; two writers of one project's
 * partitions never overlap.
 */
export async function inLakeSnapshot<T>(pool: pg.Pool, projectId: string, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  return inTransaction(
    pool,
    async (client) => {
      await createDb(client).execute(sql`SELECT pg_advisory_xact_lock(hashtext(${`braid:lake:${projectId}`}))`);
      // Timestamps in the rows' JSON come out in UTC.
      await client.query(`SET LOCAL TimeZone = 'UTC'`);
      return work(client);
    },
    { isolation: 'repeatable read' },
  );
}

/** Projects with queued partitions, the longest-waiting first. */
export async function projectsWithChanges(pool: pg.Pool, limit: number, projectId?: string): Promise<string[]> {
  const rows = await createDb(pool)
    .select({ projectId: lakeChanges.projectId })
    .from(lakeChanges)
    .where(projectId === undefined ? undefined : sql`${lakeChanges.projectId} = ${projectId}`)
    .groupBy(lakeChanges.projectId)
    .orderBy(sql`min(${lakeChanges.seq})`)
    .limit(limit);
  return rows.map((r) => r.projectId);
}

/** A project's queued partition dates (in the caller's snapshot). */
export async function changedDates(client: pg.PoolClient, projectId: string, limit: number): Promise<string[]> {
  const rows = await createDb(client)
    .select({ eventDate: lakeChanges.eventDate })
    .from(lakeChanges)
    .where(sql`${lakeChanges.projectId} = ${projectId}`)
    .groupBy(lakeChanges.eventDate)
    .orderBy(sql`min(${lakeChanges.seq})`)
    .limit(limit);
  return rows.map((r) => r.eventDate);
}

/** Every date a project has canonical events on (in the caller's snapshot). */
export async function projectEventDates(client: pg.PoolClient, projectId: string): Promise<string[]> {
  const res = await createDb(client).execute<{ d: string }>(
    sql`SELECT DISTINCT ${eventDate}::text AS d FROM ${canonicalEvents} WHERE ${canonicalEvents.projectId} = ${projectId} ORDER BY 1`,
  );
  return res.rows.map((r) => r.d);
}

/** Forgets the queued changes of these dates that the caller's snapshot sees. */
export async function forgetChanges(client: pg.PoolClient, projectId: string, dates: readonly string[]): Promise<void> {
  if (dates.length === 0) return;
  await createDb(client).execute(
    sql`DELETE FROM ${lakeChanges} WHERE ${lakeChanges.projectId} = ${projectId} AND ${anyOf(lakeChanges.eventDate, dates)}`,
  );
}

export type LakeColumnKind = 'text' | 'timestamp' | 'json';

/** The columns a lake file holds, in order: analytics.events' but the partition key project_id (it is in the path). */
export const LAKE_COLUMNS: readonly { name: string; kind: LakeColumnKind }[] = Object.values(getViewSelectedFields(analyticsEvents))
  .map((c) => ({ name: toSnakeCase(c.name), kind: c.columnType === 'PgTimestamp' ? 'timestamp' : c.columnType === 'PgJsonb' ? 'json' : 'text' }) as const)
  .filter((c) => c.name !== 'project_id');

/**
 * The partition's rows as JSON lines (analytics.events: person as known now),
 * `batch` at a time through a cursor, so a big day never sits in memory whole.
 */
export async function readPartitionRows(
  client: pg.PoolClient,
  partition: LakePartition,
  onLines: (lines: string[]) => Promise<void>,
  batch = 5_000,
): Promise<number> {
  const e = analyticsEvents;
  const day = sql`(${partition.eventDate}::date)::timestamp AT TIME ZONE 'UTC'`;
  const columns = sql.join(LAKE_COLUMNS.map(({ name }) => sql.identifier(name)), sql`, `);
  await createDb(client).execute(sql`
    DECLARE lake_rows NO SCROLL CURSOR FOR
    SELECT json_build_object(${sql.join(LAKE_COLUMNS.map(({ name }) => sql`${name}::text, ${sql.identifier(name)}`), sql`, `)})::text AS line
    FROM (SELECT ${columns} FROM ${e}
          WHERE ${e.projectId} = ${partition.projectId} AND ${e.eventTime} >= ${day} AND ${e.eventTime} < ${day} + interval '1 day'
          ORDER BY ${e.eventTime}, ${e.eventId}) r`);
  let total = 0;
  try {
    for (;;) {
      const res = await client.query<{ line: string }>(`FETCH ${batch} FROM lake_rows`);
      if (res.rows.length === 0) break;
      total += res.rows.length;
      await onLines(res.rows.map((r) => r.line));
    }
  } finally {
    await client.query('CLOSE lake_rows');
  }
  return total;
}
