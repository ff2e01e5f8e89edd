import { and, eq, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type pg from 'pg';
import type { SessionScope } from '../rules/sessionize';
import { columnList, columnName, columnsExcept, qualifiedList, recordset, type ColumnKey, type RecordsetRow } from './bulk';
import { createDb, type Connection } from './client';
import { sessions } from './schema';
import { timestampOf } from './timestamps';
import { writeTables } from './write-tables';

const SESSION_KEYS = columnsExcept(sessions, ['updatedAt']);
export type SessionRow = RecordsetRow<typeof sessions, (typeof SESSION_KEYS)[number]>;
/** What an upsert changes of a session that exists. */
const SESSION_SPAN = ['startedAt', 'endedAt', 'eventCount'] as const satisfies readonly ColumnKey<typeof sessions>[];

/**
 * Takes the transaction's lock on these devices' sessions (one key per
 * device, in this order: callers sort them), so concurrent writers of one
 * device take turns.
 */
export async function lockDeviceSessions(client: pg.PoolClient, schema: string, deviceKeys: readonly string[]): Promise<void> {
  if (deviceKeys.length === 0) return;
  await createDb(client).execute(sql`SELECT pg_advisory_xact_lock(hashtextextended(${`${schema}:sessions:`} || k, 0)) FROM unnest(${sql.param(deviceKeys)}::text[]) AS k ORDER BY k`);
}

/** Where a device's new events fall: the time span its sessions may touch, and the client session ids they carry. */
export interface SessionWindow {
  projectId: string;
  channel: string;
  deviceKey: string;
  fromTime: string;
  /** Null when the events carry no time span (then only their client session ids match). */
  toTime: string | null;
  clientSessionIds: string[];
}

/** The stored sessions of these devices that their windows touch: overlapping in time, or of the same client session. */
export async function sessionsInWindows(connection: Connection, schema: string, windows: readonly SessionWindow[]) {
  const s = writeTables(schema).sessions;
  const rows = windows.map((w) => ({ project_id: w.projectId, channel: w.channel, device_key: w.deviceKey, from_time: w.fromTime, to_time: w.toTime, client_session_ids: w.clientSessionIds }));
  const w = sql`jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS w(project_id text, channel text, device_key text, from_time timestamptz, to_time timestamptz, client_session_ids text[])`;
  return createDb(connection)
    .select({
      projectId: s.projectId,
      channel: s.channel,
      deviceKey: s.deviceKey,
      sessionId: s.sessionId,
      clientSessionId: s.clientSessionId,
      startedAt: timestampOf(s.startedAt),
      endedAt: timestampOf(s.endedAt),
      eventCount: s.eventCount,
    })
    .from(w)
    .innerJoin(s, sql`${s.projectId} = w.project_id AND ${s.channel} = w.channel AND ${s.deviceKey} = w.device_key`)
    .where(
      sql`(${s.clientSessionId} IS NULL AND w.to_time IS NOT NULL AND ${s.endedAt} >= w.from_time AND ${s.startedAt} <= w.to_time)
        OR ${s.clientSessionId} = ANY(w.client_session_ids)`,
    );
}

/** Writes sessions: new ones inserted, existing ones (same project and session id) given their new span and count. */
export async function upsertSessions(connection: Connection, schema: string, rows: readonly SessionRow[]): Promise<void> {
  if (rows.length === 0) return;
  const t = writeTables(schema).sessions;
  const x = alias(t, 'x');
  const span = sql.join(
    SESSION_SPAN.map((key) => sql`${sql.identifier(columnName(t, key))} = EXCLUDED.${sql.identifier(columnName(t, key))}`),
    sql`, `,
  );
  await createDb(connection).execute(sql`
    INSERT INTO ${t} (${columnList(t, SESSION_KEYS)})
    SELECT ${qualifiedList(x, SESSION_KEYS)} FROM ${recordset(x, SESSION_KEYS, rows)}
    ON CONFLICT (${columnList(t, ['projectId', 'sessionId'])}) DO UPDATE SET ${span}, ${sql.identifier(columnName(t, 'updatedAt'))} = now()`);
}

/** Deletes sessions by id (those merged into another). */
export async function deleteSessions(connection: Connection, schema: string, ids: readonly { projectId: string; sessionId: string }[]): Promise<void> {
  if (ids.length === 0) return;
  const t = writeTables(schema).sessions;
  const x = alias(t, 'x');
  await createDb(connection).execute(sql`
    DELETE FROM ${t} USING ${recordset(x, ['projectId', 'sessionId'], ids)}
    WHERE ${t.projectId} = ${x.projectId} AND ${t.sessionId} = ${x.sessionId}`);
}

/** Deletes every session of one device (before they are planned again from its events). */
export async function deleteDeviceSessions(connection: Connection, schema: string, device: SessionScope): Promise<void> {
  const t = writeTables(schema).sessions;
  await createDb(connection)
    .delete(t)
    .where(and(eq(t.projectId, device.projectId), eq(t.channel, device.channel), eq(t.deviceKey, device.deviceKey)));
}
