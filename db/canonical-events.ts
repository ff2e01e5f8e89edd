import { and, eq, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type pg from 'pg';
import type { SessionScope } from '../rules/sessionize';
import { anyOf, columnList, columnName, columnsExcept, qualifiedList, recordset, type ColumnKey, type RecordsetRow } from './bulk';
import { createDb, type Connection } from './client';
import { canonicalEvents, eventIds } from './schema';
import { timestampOf } from './timestamps';
import { writeTables } from './write-tables';

/** What a write gives a canonical row: every column but `writtenAt`, which Postgres stamps. */
const CANONICAL_KEYS = columnsExcept(canonicalEvents, ['writtenAt']);
type CanonicalKey = (typeof CANONICAL_KEYS)[number];
export type CanonicalRow = RecordsetRow<typeof canonicalEvents, CanonicalKey>;

/** What a replay may change of a row in place: all but its key, its source position and its session (rebuilt apart). */
const CONTENT_KEYS = columnsExcept(canonicalEvents, ['writtenAt', 'projectId', 'eventId', 'sessionId', 'sourceStream', 'sourceSequence']);

const LEDGER_KEYS = ['projectId', 'eventId', 'eventTime', 'sourceStream', 'sourceSequence'] as const satisfies readonly ColumnKey<typeof eventIds>[];
const LEDGER_KEY = ['projectId', 'eventId'] as const satisfies readonly ColumnKey<typeof eventIds>[];

/**
 * Inserts the rows whose (project, eventId) is new: the ledger row first
 * (event_ids holds the key for ever; canonical_events is partitioned by
 * event time and cannot), then the canonical row, in one statement. Returns
 * the event ids it inserted.
 */
export async function insertCanonicalEvents(connection: Connection, schema: string, rows: readonly CanonicalRow[]): Promise<Set<string>> {
  if (rows.length === 0) return new Set();
  const tables = writeTables(schema);
  const x = alias(tables.canonicalEvents, 'x');
  const res = await createDb(connection).execute<{ event_id: string }>(sql`
    WITH x AS (SELECT * FROM ${recordset(x, CANONICAL_KEYS, rows)}),
    ids AS (
      INSERT INTO ${tables.eventIds} (${columnList(tables.eventIds, LEDGER_KEYS)})
      SELECT ${qualifiedList(x, LEDGER_KEYS)} FROM x
      ON CONFLICT (${columnList(tables.eventIds, LEDGER_KEY)}) DO NOTHING
      RETURNING ${columnList(tables.eventIds, LEDGER_KEY)}
    )
    INSERT INTO ${tables.canonicalEvents} (${columnList(tables.canonicalEvents, CANONICAL_KEYS)})
    SELECT ${qualifiedList(x, CANONICAL_KEYS)} FROM x JOIN ids USING (${columnList(tables.eventIds, LEDGER_KEY)})
    RETURNING ${tables.canonicalEvents.eventId}`);
  return new Set(res.rows.map((r) => r.event_id));
}

/**
 * Whether Postgres takes this row: inserts it under a savepoint that is
 * always rolled back. Returns the error Postgres refuses it with, or null.
 */
export async function probeCanonicalRow(client: pg.PoolClient, schema: string, row: CanonicalRow): Promise<Error | null> {
  const db = createDb(client);
  await db.execute(sql`SAVEPOINT probe`);
  try {
    await insertCanonicalEvents(client, schema, [row]);
    return null;
  } catch (error) {
    return error as Error;
  } finally {
    await db.execute(sql`ROLLBACK TO SAVEPOINT probe`);
  }
}

/**
 * A production replay's update: rewrites the rows (same event and source
 * position) whose content differs, and moves their ledger's event time with
 * them (a changed event time moves the row to its partition). Returns the
 * event ids it changed.
 */
export async function updateChangedCanonical(connection: Connection, rows: readonly CanonicalRow[]): Promise<Set<string>> {
  if (rows.length === 0) return new Set();
  const c = alias(canonicalEvents, 'c');
  const x = alias(canonicalEvents, 'x');
  const e = alias(eventIds, 'e');
  const u = alias(canonicalEvents, 'u');
  const set = sql.join(
    CONTENT_KEYS.map((key) => sql`${sql.identifier(columnName(canonicalEvents, key))} = ${x[key]}`),
    sql`, `,
  );
  const res = await createDb(connection).execute<{ event_id: string }>(sql`
    WITH updated AS (
      UPDATE ${canonicalEvents} AS ${c} SET ${set}, ${sql.identifier(columnName(canonicalEvents, 'writtenAt'))} = now()
      FROM ${recordset(x, CANONICAL_KEYS, rows)}
      WHERE ${c.projectId} = ${x.projectId} AND ${c.eventId} = ${x.eventId}
        AND ${c.sourceStream} = ${x.sourceStream} AND ${c.sourceSequence} = ${x.sourceSequence}
        AND (${qualifiedList(c, CONTENT_KEYS)}) IS DISTINCT FROM (${qualifiedList(x, CONTENT_KEYS)})
      RETURNING ${c.projectId}, ${c.eventId}, ${c.eventTime}
    ), ledger AS (
      UPDATE ${eventIds} AS ${e} SET ${sql.identifier(columnName(eventIds, 'eventTime'))} = ${u.eventTime} FROM updated AS ${u}
      WHERE ${e.projectId} = ${u.projectId} AND ${e.eventId} = ${u.eventId} AND ${e.eventTime} IS DISTINCT FROM ${u.eventTime}
    )
    SELECT ${u.eventId} FROM updated AS ${u}`);
  return new Set(res.rows.map((r) => r.event_id));
}

/** The device each of these events' stored rows belongs to now. */
export async function devicesOfEvents(connection: Connection, projectId: string, eventIdList: readonly string[]) {
  if (eventIdList.length === 0) return [];
  return createDb(connection)
    .select({ eventId: canonicalEvents.eventId, projectId: canonicalEvents.projectId, channel: canonicalEvents.channel, deviceKey: canonicalEvents.deviceKey })
    .from(canonicalEvents)
    .where(and(eq(canonicalEvents.projectId, projectId), anyOf(canonicalEvents.eventId, eventIdList)));
}

/** Every stored event of one device, with what sessions are planned from. */
export async function deviceEvents(connection: Connection, schema: string, device: SessionScope) {
  const t = writeTables(schema).canonicalEvents;
  return createDb(connection)
    .select({ eventId: t.eventId, eventTime: timestampOf(t.eventTime), clientSessionId: t.clientSessionId })
    .from(t)
    .where(and(eq(t.projectId, device.projectId), eq(t.channel, device.channel), eq(t.deviceKey, device.deviceKey)));
}

/** Puts each of a device's events in the session `assignments` gives it (event id → session id), where that changes anything. */
export async function assignSessions(connection: Connection, schema: string, device: SessionScope, assignments: Record<string, string>): Promise<void> {
  const t = writeTables(schema).canonicalEvents;
  const c = alias(t, 'c');
  await createDb(connection).execute(sql`
    UPDATE ${t} AS ${c} SET ${sql.identifier(columnName(t, 'sessionId'))} = a.session_id
    FROM jsonb_each_text(${JSON.stringify(assignments)}::jsonb) AS a(event_id, session_id)
    WHERE ${c.projectId} = ${device.projectId} AND ${c.channel} = ${device.channel} AND ${c.deviceKey} = ${device.deviceKey}
      AND ${c.eventId} = a.event_id AND ${c.sessionId} IS DISTINCT FROM a.session_id`);
}

/** Moves the events of renamed sessions to their new session id. */
export async function renameEventSessions(connection: Connection, schema: string, renamed: readonly { projectId: string; from: string; to: string }[]): Promise<void> {
  if (renamed.length === 0) return;
  const t = writeTables(schema).canonicalEvents;
  const c = alias(t, 'c');
  const rows = renamed.map((r) => ({ project_id: r.projectId, from_id: r.from, to_id: r.to }));
  await createDb(connection).execute(sql`
    WITH r AS (SELECT * FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS x(project_id text, from_id text, to_id text))
    UPDATE ${t} AS ${c} SET ${sql.identifier(columnName(t, 'sessionId'))} = r.to_id FROM r
    WHERE ${c.projectId} = r.project_id AND ${c.sessionId} = r.from_id`);
}
