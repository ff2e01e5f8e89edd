import { describe, expect, it } from 'vitest';
import type { PreparedEvent } from '../../rules/prepared-event';
import { SessionState, type CarriedState } from '../../workflows/session-state';

/** The session workflow of earlier releases (kept for runs still going at an upgrade): its pure state. */
const scope = { projectId: 'acme', channel: 'web', deviceKey: 'a:anon-1' };
let seq = 0;
const ev = (id: string): PreparedEvent => ({
  projectId: 'acme',
  channel: 'web',
  messageId: id,
  type: 'track',
  event: 'Clicked',
  anonymousId: 'anon-1',
  properties: {},
  traits: {},
  context: {},
  eventTime: '2026-01-01T00:00:00.000Z',
  receivedAt: '2026-01-01T00:00:01.000Z',
  source: { stream: 'BRAID_RAW', sequence: ++seq, subject: 'braid.raw.acme.web' },
  transforms: [],
  flags: [],
});
const written = (over: Partial<Parameters<SessionState['recordWrite']>[0]> = {}) => ({ written: 0, duplicates: 0, alreadyWritten: 0, suppressed: 0, held: [], ...over });

describe('SessionState (session workflow before hosts)', () => {
  it.each([
    { label: 'nothing', batches: [] as number[], max: 10, taken: 0, left: 0 },
    { label: 'one batch under the drain size', batches: [3], max: 10, taken: 3, left: 0 },
    { label: 'two batches over the drain size', batches: [6, 7], max: 10, taken: 10, left: 3 },
    { label: 'exactly the drain size', batches: [10], max: 10, taken: 10, left: 0 },
  ])('drains in arrival order up to the drain size: $label', ({ batches, max, taken, left }) => {
    const state = new SessionState(scope);
    const ids: string[] = [];
    for (const n of batches) {
      const events = Array.from({ length: n }, (_, i) => ev(`m-${ids.length + i}`));
      ids.push(...events.map((e) => e.messageId));
      state.enqueue({ events, sessionTimeoutMs: 0 });
    }
    const drain = state.takeDrain(max, 0, false);
    expect(drain.events.map((e) => e.messageId)).toEqual(ids.slice(0, taken));
    expect(drain.events.every((e) => e.deviceKey === scope.deviceKey)).toBe(true);
    expect(state.summary()).toMatchObject({ received: ids.length, pending: left });
  });

  it.each([
    { label: 'positive', timeout: 60_000, expected: 60_000 },
    { label: 'zero keeps the default', timeout: 0, expected: 30 * 60_000 },
    { label: 'negative keeps the default', timeout: -1, expected: 30 * 60_000 },
  ])('takes the session timeout of a batch: $label', ({ timeout, expected }) => {
    const state = new SessionState(scope);
    state.enqueue({ events: [ev('x')], sessionTimeoutMs: timeout });
    expect(state.takeDrain(10, 0, false).sessionTimeoutMs).toBe(expected);
  });

  it('holds what the write held, re-submits it with new data or on a recheck, and marks it final once its hold is over', () => {
    const state = new SessionState(scope);
    const a = ev('a');
    state.enqueue({ events: [a], sessionTimeoutMs: 0 });
    const first = state.takeDrain(10, 1_000, false);
    state.hold(first.events, [`${a.source.stream}#${a.source.sequence}`], 1_000, 5_000);
    state.recordWrite(written({ held: ['x'] }));
    expect(state.hasHeld()).toBe(true);
    expect(state.nextHoldDeadlineMs()).toBe(6_000);
    // Nothing new and no recheck: nothing to drain.
    expect(state.takeDrain(10, 2_000, false).events).toEqual([]);
    // A recheck before the deadline: re-submitted, not final; held again with its first deadline.
    const recheck = state.takeDrain(10, 2_000, true);
    expect(recheck.events.map((e) => e.messageId)).toEqual(['a']);
    expect(recheck.finalIds).toEqual([]);
    state.hold(recheck.events, [`${a.source.stream}#${a.source.sequence}`], 2_000, 5_000);
    expect(state.nextHoldDeadlineMs()).toBe(6_000);
    // After the deadline: final.
    expect(state.takeDrain(10, 6_000, true).finalIds).toEqual(['a']);
  });

  it('counts writes, duplicates and suppressions across drains', () => {
    const state = new SessionState(scope);
    state.recordWrite(written({ written: 5, duplicates: 1, suppressed: 2 }));
    state.recordWrite(written({ written: 1 }));
    expect(state.summary()).toMatchObject({ written: 6, duplicates: 1, suppressed: 2, drains: 2, held: 0 });
  });

  it('carries pending and held events and counts across continue-as-new, and reads older carried state without suppressed', () => {
    const state = new SessionState(scope);
    state.enqueue({ events: [ev('p1'), ev('p2')], sessionTimeoutMs: 90_000 });
    const carried = state.carry();
    expect(carried).toMatchObject({ sessionTimeoutMs: 90_000, continuedAsNew: 1 });
    const next = new SessionState(scope, carried);
    expect(next.summary()).toMatchObject({ received: 2, pending: 2, continuedAsNew: 1 });
    const old: CarriedState = { pending: [], sessionTimeoutMs: 60_000, counts: { received: 3, written: 3, duplicates: 0, drains: 1 }, continuedAsNew: 2 };
    expect(new SessionState(scope, old).summary()).toMatchObject({ received: 3, suppressed: 0, held: 0, continuedAsNew: 2 });
  });
});
