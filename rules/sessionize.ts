import { parseIsoTimestamp } from './timestamps';
import { stableId } from './stable-id';

/** Where a device's current session stands. Plain JSON, carried across continue-as-new. */
export interface SessionCursor {
  sessionId: string | null;
  startedAtMs: number | null;
  lastEventTimeMs: number | null;
  clientSessionId: string | null;
}

export const EMPTY_CURSOR: SessionCursor = { sessionId: null, startedAtMs: null, lastEventTimeMs: null, clientSessionId: null };

export interface SessionScope {
  projectId: string;
  channel: string;
  deviceKey: string;
}

/**
 * The session an event belongs to, given the device's cursor. A client's
 * `context.sessionId` decides when present (a new id starts a new session);
 * otherwise more than `timeoutMs` of event-time inactivity starts one. Pure.
 */
export function assignSession(
  cursor: SessionCursor,
  scope: SessionScope,
  event: { eventTime: string; clientSessionId?: string },
  timeoutMs: number,
): { sessionId: string; cursor: SessionCursor } {
  const t = parseIsoTimestamp(event.eventTime) ?? 0;
  const client = event.clientSessionId ?? null;
  if (client !== null) {
    const sessionId = stableId('s', scope.projectId, scope.channel, scope.deviceKey, 'client', client);
    const same = cursor.sessionId === sessionId;
    return {
      sessionId,
      cursor: {
        sessionId,
        clientSessionId: client,
        startedAtMs: same ? Math.min(cursor.startedAtMs ?? t, t) : t,
        lastEventTimeMs: same ? Math.max(cursor.lastEventTimeMs ?? t, t) : t,
      },
    };
  }
  const continues =
    cursor.sessionId !== null &&
    cursor.clientSessionId === null &&
    cursor.lastEventTimeMs !== null &&
    cursor.startedAtMs !== null &&
    t - cursor.lastEventTimeMs <= timeoutMs &&
    cursor.startedAtMs - t <= timeoutMs;
  if (continues) {
    return {
      sessionId: cursor.sessionId as string,
      cursor: { ...cursor, startedAtMs: Math.min(cursor.startedAtMs as number, t), lastEventTimeMs: Math.max(cursor.lastEventTimeMs as number, t) },
    };
  }
  const sessionId = stableId('s', scope.projectId, scope.channel, scope.deviceKey, 'time', String(t));
  return { sessionId, cursor: { sessionId, clientSessionId: null, startedAtMs: t, lastEventTimeMs: t } };
}
