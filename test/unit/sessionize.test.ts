import { describe, expect, it } from 'vitest';
import {
  clientSessionKey,
  inactivitySessionKey,
  planSessions,
  sessionWindow,
  type SessionEvent,
  type SessionInterval,
  type SessionScope,
} from '../../rules/sessionize';

const MINUTE = 60_000;
const TIMEOUT = 30 * MINUTE;
const T0 = Date.UTC(2026, 0, 31, 10, 0, 0);
const SCOPE: SessionScope = { projectId: 'acme', channel: 'web', deviceKey: 'a:anon-1' };

/**
 * A device's session store, as the write activity keeps it: apply each
 * batch's plan (upserts, renames) to the stored sessions and events.
 */
function simulate(batches: SessionEvent[][], timeoutMs = TIMEOUT): { sessions: Map<string, SessionInterval>; eventSession: Map<string, string> } {
  const sessions = new Map<string, SessionInterval>();
  const eventSession = new Map<string, string>();
  for (const batch of batches) {
    const window = sessionWindow(batch, timeoutMs);
    const existing = [...sessions.values()].filter(
      (s) =>
        window !== null &&
        ((s.clientSessionId === null && window.toMs >= window.fromMs && s.endedAtMs >= window.fromMs && s.startedAtMs <= window.toMs) ||
          (s.clientSessionId !== null && window.clientSessionIds.includes(s.clientSessionId))),
    );
    const plan = planSessions(SCOPE, existing, batch, timeoutMs);
    for (const { from, to } of plan.renamed) {
      sessions.delete(from);
      for (const [eventId, sessionId] of eventSession) if (sessionId === from) eventSession.set(eventId, to);
    }
    for (const s of plan.upserts) sessions.set(s.sessionId, s);
    for (const [eventId, sessionId] of Object.entries(plan.assignments)) eventSession.set(eventId, sessionId);
  }
  return { sessions, eventSession };
}

/** The partition of events into sessions, as sorted lists of event ids. */
function grouping(eventSession: Map<string, string>): string[][] {
  const groups = new Map<string, string[]>();
  for (const [eventId, sessionId] of eventSession) groups.set(sessionId, [...(groups.get(sessionId) ?? []), eventId]);
  return [...groups.values()].map((g) => g.sort()).sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
}

const ev = (id: string, minutes: number, clientSessionId?: string): SessionEvent => ({
  eventId: id,
  eventTimeMs: T0 + minutes * MINUTE,
  ...(clientSessionId === undefined ? {} : { clientSessionId }),
});

/** Deterministic shuffle (a fixed LCG), so failures reproduce. */
function shuffled<T>(items: T[], seed: number): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

function splitInto<T>(items: T[], sizes: number[]): T[][] {
  const out: T[][] = [];
  let i = 0;
  for (const size of sizes) {
    out.push(items.slice(i, i + size));
    i += size;
  }
  if (i < items.length) out.push(items.slice(i));
  return out.filter((b) => b.length > 0);
}

describe('planSessions: inactivity', () => {
  it.each([
    { label: 'one minute apart', minutes: [0, 1], groups: [['a', 'b']] },
    { label: 'exactly the timeout apart stays together', minutes: [0, 30], groups: [['a', 'b']] },
    { label: 'timeout + 1 ms apart splits', minutes: [0, 30 + 1 / MINUTE], groups: [['a'], ['b']] },
    { label: 'a chain of 29-minute gaps is one session', minutes: [0, 29, 58, 87], groups: [['a', 'b', 'c', 'd']] },
    { label: 'a day apart splits', minutes: [0, 1440], groups: [['a'], ['b']] },
    { label: 'same instant', minutes: [5, 5, 5], groups: [['a', 'b', 'c']] },
  ])('$label', ({ minutes, groups }) => {
    const events = minutes.map((m, i) => ev(String.fromCharCode(97 + i), m));
    expect(grouping(simulate([events]).eventSession)).toEqual(groups);
  });

  it('names a session after its first event time, so ids do not depend on arrival', () => {
    const { eventSession, sessions } = simulate([[ev('b', 10)], [ev('a', 0)]]);
    expect(eventSession.get('a')).toBe(inactivitySessionKey(SCOPE, T0));
    expect(eventSession.get('b')).toBe(inactivitySessionKey(SCOPE, T0));
    expect([...sessions.values()]).toEqual([{ sessionId: inactivitySessionKey(SCOPE, T0), clientSessionId: null, startedAtMs: T0, endedAtMs: T0 + 10 * MINUTE, eventCount: 2 }]);
  });

  it('a late event that bridges two sessions merges them and renames the later one', () => {
    const before = simulate([[ev('a', 0), ev('c', 50)]]);
    expect(before.sessions.size).toBe(2);
    const existing = [...before.sessions.values()];
    const plan = planSessions(SCOPE, existing, [ev('b', 25)], TIMEOUT);
    expect(plan.renamed).toEqual([{ from: inactivitySessionKey(SCOPE, T0 + 50 * MINUTE), to: inactivitySessionKey(SCOPE, T0) }]);
    expect(plan.upserts).toEqual([{ sessionId: inactivitySessionKey(SCOPE, T0), clientSessionId: null, startedAtMs: T0, endedAtMs: T0 + 50 * MINUTE, eventCount: 3 }]);
    expect(plan.assignments).toEqual({ b: inactivitySessionKey(SCOPE, T0) });
  });

  it('an event an hour late before a session moves its start and renames it', () => {
    const { eventSession } = simulate([[ev('b', 70), ev('c', 80)], [ev('a', 45)]]);
    expect(new Set(eventSession.values())).toEqual(new Set([inactivitySessionKey(SCOPE, T0 + 45 * MINUTE)]));
  });

  it('leaves sessions the new events do not touch out of the plan', () => {
    const existing: SessionInterval[] = [{ sessionId: 'old', clientSessionId: null, startedAtMs: T0 - 300 * MINUTE, endedAtMs: T0 - 290 * MINUTE, eventCount: 4 }];
    const plan = planSessions(SCOPE, existing, [ev('a', 0)], TIMEOUT);
    expect(plan.renamed).toEqual([]);
    expect(plan.upserts.map((s) => s.sessionId)).toEqual([inactivitySessionKey(SCOPE, T0)]);
  });
});

describe('planSessions: client session ids', () => {
  it.each([
    { label: 'one client session despite a long gap', events: [ev('a', 0, 's1'), ev('b', 300, 's1')], groups: [['a', 'b']] },
    { label: 'a new client session id starts a new session', events: [ev('a', 0, 's1'), ev('b', 1, 's2')], groups: [['a'], ['b']] },
    { label: 'returning to an id returns to its session', events: [ev('a', 0, 's1'), ev('b', 1, 's2'), ev('c', 2, 's1')], groups: [['a', 'c'], ['b']] },
    { label: 'events without an id sessionize by time apart from client sessions', events: [ev('a', 0, 's1'), ev('b', 1), ev('c', 2)], groups: [['a'], ['b', 'c']] },
  ])('$label', ({ events, groups }) => {
    expect(grouping(simulate([events]).eventSession)).toEqual(groups);
  });

  it('keys a client session by device and id, and keeps its bounds and count', () => {
    const { sessions } = simulate([[ev('b', 10, 'x')], [ev('a', 0, 'x'), ev('c', 400, 'x')]]);
    expect([...sessions.values()]).toEqual([
      { sessionId: clientSessionKey(SCOPE, 'x'), clientSessionId: 'x', startedAtMs: T0, endedAtMs: T0 + 400 * MINUTE, eventCount: 3 },
    ]);
    expect(clientSessionKey(SCOPE, 'x')).not.toBe(clientSessionKey({ ...SCOPE, deviceKey: 'a:anon-2' }, 'x'));
  });
});

describe('planSessions: arrival order does not matter', () => {
  // A device's day: bursts, long gaps, a late event that bridges, client sessions mixed in.
  const day: SessionEvent[] = [
    ev('e01', 0), ev('e02', 3), ev('e03', 29), ev('e04', 58), // one chain
    ev('e05', 120), ev('e06', 125), // a second session
    ev('e07', 155), // bridges into the second (30 min after e06)
    ev('e08', 186), // 31 min later: a third
    ev('e09', 300, 'app-1'), ev('e10', 301, 'app-1'), ev('e11', 700, 'app-1'), // a client session
    ev('e12', 302, 'app-2'),
    ev('e13', 1440), ev('e14', 1441), ev('e15', 1470),
  ];
  const inOrder = simulate([day]);

  it('in order, gives the expected sessions', () => {
    expect(grouping(inOrder.eventSession)).toEqual([
      ['e01', 'e02', 'e03', 'e04'],
      ['e05', 'e06', 'e07'],
      ['e08'],
      ['e09', 'e10', 'e11'],
      ['e12'],
      ['e13', 'e14', 'e15'],
    ]);
  });

  it.each(Array.from({ length: 25 }, (_, seed) => ({ seed: seed + 1 })))('shuffled and split (seed $seed) gives the same sessions and ids', ({ seed }) => {
    const order = shuffled(day, seed);
    const sizes = [1 + (seed % 4), 2 + (seed % 3), 1, 5, 3];
    const result = simulate(splitInto(order, sizes));
    expect(result.eventSession).toEqual(inOrder.eventSession);
    expect(result.sessions).toEqual(inOrder.sessions);
  });

  it('one event at a time, in reverse, gives the same sessions and ids', () => {
    const result = simulate([...day].reverse().map((e) => [e]));
    expect(result.eventSession).toEqual(inOrder.eventSession);
    expect(result.sessions).toEqual(inOrder.sessions);
  });
});

describe('sessionWindow', () => {
  it.each([
    { label: 'no events', events: [], expected: null },
    { label: 'timed events widen by the timeout', events: [ev('a', 10), ev('b', 0)], expected: { fromMs: T0 - TIMEOUT, toMs: T0 + 10 * MINUTE + TIMEOUT, clientSessionIds: [] } },
    { label: 'client ids only: an empty time window', events: [ev('a', 0, 'x'), ev('b', 1, 'x')], expected: { fromMs: 0, toMs: -1, clientSessionIds: ['x'] } },
  ])('$label', ({ events, expected }) => {
    expect(sessionWindow(events, TIMEOUT)).toEqual(expected);
  });
});
