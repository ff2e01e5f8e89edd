import type pg from 'pg';
import { planSessions, sessionWindow, type SessionInterval, type SessionPlan, type SessionScope } from '../rules/sessionize';
import { parseIsoTimestamp } from '../contracts/timestamps';
import type { CanonicalDraft } from './canonical-events.types';

export interface DeviceSessionPlan {
  scope: SessionScope;
  plan: SessionPlan;
}

/**
 * Locks the devices of these new events (so concurrent writers of one device
 * take turns), loads their sessions near the events and plans where each
 * event goes. Runs inside the write transaction.
 */
export async function planDeviceSessions(client: pg.PoolClient, schema: string, events: readonly CanonicalDraft[], timeoutMs: number): Promise<DeviceSessionPlan[]> {
  const byDevice = new Map<string, { scope: SessionScope; events: CanonicalDraft[] }>();
  for (const e of events) {
    const key = JSON.stringify([e.projectId, e.channel, e.deviceKey]);
    const entry = byDevice.get(key) ?? { scope: { projectId: e.projectId, channel: e.channel, deviceKey: e.deviceKey }, events: [] };
    entry.events.push(e);
    byDevice.set(key, entry);
  }
  if (byDevice.size === 0) return [];
  const keys = [...byDevice.keys()].sort();
  await client.query(`SELECT pg_advisory_xact_lock(hashtextextended($2 || k, 0)) FROM unnest($1::text[]) AS k ORDER BY k`, [keys, `${schema}:sessions:`]);

  const windows = [...byDevice.values()].flatMap(({ scope, events: list }) => {
    const window = sessionWindow(toSessionEvents(list), timeoutMs);
    if (!window) return [];
    return [{
      project_id: scope.projectId,
      channel: scope.channel,
      device_key: scope.deviceKey,
      from_time: new Date(Math.max(window.fromMs, -8.64e15)).toISOString(),
      to_time: window.toMs < window.fromMs ? null : new Date(Math.min(window.toMs, 8.64e15)).toISOString(),
      client_session_ids: window.clientSessionIds,
    }];
  });
  const res = await client.query<{ project_id: string; channel: string; device_key: string; session_id: string; client_session_id: string | null; started_at: Date; ended_at: Date; event_count: number }>(
    `SELECT s.project_id, s.channel, s.device_key, s.session_id, s.client_session_id, s.started_at, s.ended_at, s.event_count
     FROM jsonb_to_recordset($1::jsonb) AS w(project_id text, channel text, device_key text, from_time timestamptz, to_time timestamptz, client_session_ids text[])
     JOIN "${schema}".sessions s ON s.project_id = w.project_id AND s.channel = w.channel AND s.device_key = w.device_key
     WHERE (s.client_session_id IS NULL AND w.to_time IS NOT NULL AND s.ended_at >= w.from_time AND s.started_at <= w.to_time)
        OR s.client_session_id = ANY(w.client_session_ids)`,
    [JSON.stringify(windows)],
  );
  const existingByDevice = new Map<string, SessionInterval[]>();
  for (const r of res.rows) {
    const key = JSON.stringify([r.project_id, r.channel, r.device_key]);
    const list = existingByDevice.get(key) ?? [];
    list.push({ sessionId: r.session_id, clientSessionId: r.client_session_id, startedAtMs: r.started_at.getTime(), endedAtMs: r.ended_at.getTime(), eventCount: r.event_count });
    existingByDevice.set(key, list);
  }
  return [...byDevice.entries()].map(([key, { scope, events: list }]) => ({
    scope,
    plan: planSessions(scope, existingByDevice.get(key) ?? [], toSessionEvents(list), timeoutMs),
  }));
}

/** Writes the planned sessions and moves the events of renamed sessions. */
export async function applySessionPlans(client: pg.PoolClient, schema: string, plans: readonly DeviceSessionPlan[]): Promise<void> {
  const upserts = plans.flatMap(({ scope, plan }) =>
    plan.upserts.map((s) => ({
      project_id: scope.projectId,
      session_id: s.sessionId,
      channel: scope.channel,
      device_key: scope.deviceKey,
      client_session_id: s.clientSessionId,
      started_at: new Date(s.startedAtMs).toISOString(),
      ended_at: new Date(s.endedAtMs).toISOString(),
      event_count: s.eventCount,
    })),
  );
  const renamed = plans.flatMap(({ scope, plan }) => plan.renamed.map((r) => ({ project_id: scope.projectId, from_id: r.from, to_id: r.to })));
  if (renamed.length > 0) {
    await client.query(
      `WITH r AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(project_id text, from_id text, to_id text))
       UPDATE "${schema}".canonical_events c SET session_id = r.to_id FROM r WHERE c.project_id = r.project_id AND c.session_id = r.from_id`,
      [JSON.stringify(renamed)],
    );
    await client.query(
      `DELETE FROM "${schema}".sessions s USING jsonb_to_recordset($1::jsonb) AS r(project_id text, from_id text)
       WHERE s.project_id = r.project_id AND s.session_id = r.from_id`,
      [JSON.stringify(renamed)],
    );
  }
  if (upserts.length > 0) {
    await client.query(
      `INSERT INTO "${schema}".sessions (project_id, session_id, channel, device_key, client_session_id, started_at, ended_at, event_count)
       SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(project_id text, session_id text, channel text, device_key text,
         client_session_id text, started_at timestamptz, ended_at timestamptz, event_count int)
       ON CONFLICT (project_id, session_id) DO UPDATE SET started_at = EXCLUDED.started_at, ended_at = EXCLUDED.ended_at,
         event_count = EXCLUDED.event_count, updated_at = now()`,
      [JSON.stringify(upserts)],
    );
  }
}

function toSessionEvents(events: readonly CanonicalDraft[]) {
  return events.map((e) => ({
    eventId: e.messageId,
    eventTimeMs: parseIsoTimestamp(e.eventTime) ?? 0,
    ...(e.clientSessionId === undefined ? {} : { clientSessionId: e.clientSessionId }),
  }));
}

/**
 * Recomputes every session of these devices from their stored events, for
 * writes that change events already in place (a replay under new rules may
 * move an event in time or to another device). Exact whatever happened before.
 */
export async function rebuildDeviceSessions(
  client: pg.PoolClient,
  schema: string,
  devices: readonly SessionScope[],
  timeoutMs: number,
): Promise<void> {
  const unique = [...new Map(devices.map((d) => [JSON.stringify([d.projectId, d.channel, d.deviceKey]), d])).entries()].sort(([a], [b]) => (a < b ? -1 : 1));
  if (unique.length === 0) return;
  await client.query(`SELECT pg_advisory_xact_lock(hashtextextended($2 || k, 0)) FROM unnest($1::text[]) AS k ORDER BY k`, [unique.map(([k]) => k), `${schema}:sessions:`]);
  for (const [, scope] of unique) {
    const events = await client.query<{ event_id: string; event_time: Date; client_session_id: string | null }>(
      `SELECT event_id, event_time, client_session_id FROM "${schema}".canonical_events WHERE project_id = $1 AND channel = $2 AND device_key = $3`,
      [scope.projectId, scope.channel, scope.deviceKey],
    );
    const plan = planSessions(
      scope,
      [],
      events.rows.map((r) => ({ eventId: r.event_id, eventTimeMs: r.event_time.getTime(), ...(r.client_session_id === null ? {} : { clientSessionId: r.client_session_id }) })),
      timeoutMs,
    );
    await client.query(`DELETE FROM "${schema}".sessions WHERE project_id = $1 AND channel = $2 AND device_key = $3`, [scope.projectId, scope.channel, scope.deviceKey]);
    await applySessionPlans(client, schema, [{ scope, plan }]);
    await client.query(
      `UPDATE "${schema}".canonical_events c SET session_id = a.session_id
       FROM jsonb_each_text($4::jsonb) AS a(event_id, session_id)
       WHERE c.project_id = $1 AND c.channel = $2 AND c.device_key = $3 AND c.event_id = a.event_id AND c.session_id IS DISTINCT FROM a.session_id`,
      [scope.projectId, scope.channel, scope.deviceKey, JSON.stringify(plan.assignments)],
    );
  }
}
