import type pg from 'pg';
import { assignSessions, deviceEvents, renameEventSessions } from '../db/canonical-events';
import { deleteDeviceSessions, deleteSessions, lockDeviceSessions, sessionsInWindows, upsertSessions, type SessionWindow } from '../db/sessions';
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
  await lockDeviceSessions(client, schema, keys);

  const windows = [...byDevice.values()].flatMap(({ scope, events: list }): SessionWindow[] => {
    const window = sessionWindow(toSessionEvents(list), timeoutMs);
    if (!window) return [];
    return [{
      ...scope,
      fromTime: new Date(Math.max(window.fromMs, -8.64e15)).toISOString(),
      toTime: window.toMs < window.fromMs ? null : new Date(Math.min(window.toMs, 8.64e15)).toISOString(),
      clientSessionIds: window.clientSessionIds,
    }];
  });
  const existingByDevice = new Map<string, SessionInterval[]>();
  for (const r of await sessionsInWindows(client, schema, windows)) {
    const key = JSON.stringify([r.projectId, r.channel, r.deviceKey]);
    const list = existingByDevice.get(key) ?? [];
    list.push({ sessionId: r.sessionId, clientSessionId: r.clientSessionId, startedAtMs: r.startedAt.getTime(), endedAtMs: r.endedAt.getTime(), eventCount: r.eventCount });
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
      projectId: scope.projectId,
      sessionId: s.sessionId,
      channel: scope.channel,
      deviceKey: scope.deviceKey,
      clientSessionId: s.clientSessionId,
      startedAt: new Date(s.startedAtMs).toISOString(),
      endedAt: new Date(s.endedAtMs).toISOString(),
      eventCount: s.eventCount,
    })),
  );
  const renamed = plans.flatMap(({ scope, plan }) => plan.renamed.map((r) => ({ projectId: scope.projectId, from: r.from, to: r.to })));
  if (renamed.length > 0) {
    await renameEventSessions(client, schema, renamed);
    await deleteSessions(client, schema, renamed.map((r) => ({ projectId: r.projectId, sessionId: r.from })));
  }
  await upsertSessions(client, schema, upserts);
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
  await lockDeviceSessions(client, schema, unique.map(([k]) => k));
  for (const [, scope] of unique) {
    const events = await deviceEvents(client, schema, scope);
    const plan = planSessions(
      scope,
      [],
      events.map((r) => ({ eventId: r.eventId, eventTimeMs: r.eventTime.getTime(), ...(r.clientSessionId === null ? {} : { clientSessionId: r.clientSessionId }) })),
      timeoutMs,
    );
    await deleteDeviceSessions(client, schema, scope);
    await applySessionPlans(client, schema, [{ scope, plan }]);
    await assignSessions(client, schema, scope, plan.assignments);
  }
}
