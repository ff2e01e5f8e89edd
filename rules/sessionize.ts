import { stableId } from './stable-id';

/**
 * Sessions on event time, independent of arrival order.
 *
 * A device's events that carry a client session id (`context.sessionId`)
 * belong to that client session, whatever the gaps between them. Its other
 * events form sessions by inactivity: two events belong together when a chain
 * of events links them with no gap longer than the timeout. Both are functions
 * of the set of a device's events, not of the order they arrive in, so an
 * event an hour late, or a batch split or shuffled, lands where it would have
 * in order. An inactivity session's id derives from its first event time, so
 * the same events always give the same ids; when a late event bridges two
 * sessions or moves one's start earlier, the plan renames the rows it moved.
 * Pure.
 */
export interface SessionScope {
  projectId: string;
  channel: string;
  deviceKey: string;
}

export interface SessionInterval {
  sessionId: string;
  clientSessionId: string | null;
  startedAtMs: number;
  endedAtMs: number;
  eventCount: number;
}

export interface SessionEvent {
  eventId: string;
  eventTimeMs: number;
  clientSessionId?: string;
}

export interface SessionPlan {
  /** The session of each new event. */
  assignments: Record<string, string>;
  /** The new state of every session the events created or changed. */
  upserts: SessionInterval[];
  /** Sessions that no longer exist under their old id, and where their events go. */
  renamed: { from: string; to: string }[];
}

export function clientSessionKey(scope: SessionScope, clientSessionId: string): string {
  return stableId('s', scope.projectId, scope.channel, scope.deviceKey, 'client', clientSessionId);
}

export function inactivitySessionKey(scope: SessionScope, startedAtMs: number): string {
  return stableId('s', scope.projectId, scope.channel, scope.deviceKey, 'time', String(startedAtMs));
}

/**
 * Which existing sessions a plan for these events needs to see: inactivity
 * sessions within `timeoutMs` of an event, and the events' client sessions.
 */
export function sessionWindow(events: readonly SessionEvent[], timeoutMs: number): { fromMs: number; toMs: number; clientSessionIds: string[] } | null {
  const timed = events.filter((e) => e.clientSessionId === undefined).map((e) => e.eventTimeMs);
  const clientSessionIds = [...new Set(events.flatMap((e) => (e.clientSessionId === undefined ? [] : [e.clientSessionId])))];
  if (timed.length === 0 && clientSessionIds.length === 0) return null;
  if (timed.length === 0) return { fromMs: 0, toMs: -1, clientSessionIds };
  return { fromMs: Math.min(...timed) - timeoutMs, toMs: Math.max(...timed) + timeoutMs, clientSessionIds };
}

/**
 * Plans where new events go, given the device's existing sessions near them
 * (see sessionWindow). Existing inactivity sessions must be maximal, as every
 * plan leaves them.
 */
export function planSessions(scope: SessionScope, existing: readonly SessionInterval[], events: readonly SessionEvent[], timeoutMs: number): SessionPlan {
  const assignments: Record<string, string> = {};
  const upserts: SessionInterval[] = [];
  const renamed: { from: string; to: string }[] = [];

  // Client sessions: one per client session id.
  const byClient = new Map<string, SessionEvent[]>();
  for (const e of events) {
    if (e.clientSessionId === undefined) continue;
    const list = byClient.get(e.clientSessionId) ?? [];
    list.push(e);
    byClient.set(e.clientSessionId, list);
  }
  for (const [clientSessionId, list] of byClient) {
    const sessionId = clientSessionKey(scope, clientSessionId);
    const prior = existing.find((s) => s.sessionId === sessionId);
    const times = list.map((e) => e.eventTimeMs);
    upserts.push({
      sessionId,
      clientSessionId,
      startedAtMs: Math.min(...times, prior?.startedAtMs ?? Infinity),
      endedAtMs: Math.max(...times, prior?.endedAtMs ?? -Infinity),
      eventCount: (prior?.eventCount ?? 0) + list.length,
    });
    for (const e of list) assignments[e.eventId] = sessionId;
  }

  // Inactivity sessions: sweep existing intervals and new points in time order, merging gaps ≤ timeout.
  type Item = { startMs: number; endMs: number; prior?: SessionInterval; event?: SessionEvent };
  const items: Item[] = [
    ...existing.filter((s) => s.clientSessionId === null).map((s) => ({ startMs: s.startedAtMs, endMs: s.endedAtMs, prior: s })),
    ...events.filter((e) => e.clientSessionId === undefined).map((e) => ({ startMs: e.eventTimeMs, endMs: e.eventTimeMs, event: e })),
  ].sort((a, b) => a.startMs - b.startMs || a.endMs - b.endMs);

  let component: Item[] = [];
  let componentEnd = -Infinity;
  const close = () => {
    if (component.length === 0) return;
    const newEvents = component.filter((i) => i.event).map((i) => i.event as SessionEvent);
    const priors = component.filter((i) => i.prior).map((i) => i.prior as SessionInterval);
    if (newEvents.length > 0) {
      const startedAtMs = Math.min(...component.map((i) => i.startMs));
      const sessionId = inactivitySessionKey(scope, startedAtMs);
      upserts.push({
        sessionId,
        clientSessionId: null,
        startedAtMs,
        endedAtMs: Math.max(...component.map((i) => i.endMs)),
        eventCount: priors.reduce((n, p) => n + p.eventCount, 0) + newEvents.length,
      });
      for (const e of newEvents) assignments[e.eventId] = sessionId;
      for (const p of priors) if (p.sessionId !== sessionId) renamed.push({ from: p.sessionId, to: sessionId });
    }
    component = [];
    componentEnd = -Infinity;
  };
  for (const item of items) {
    if (component.length > 0 && item.startMs - componentEnd > timeoutMs) close();
    component.push(item);
    componentEnd = Math.max(componentEnd, item.endMs);
  }
  close();
  return { assignments, upserts, renamed };
}
