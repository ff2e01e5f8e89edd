import { describe, expect, it } from 'vitest';
import type { HostDrainResult } from '../../activities/session-host';
import { HostState } from '../../workflows/session-host-state';

const result = (over: Partial<HostDrainResult> = {}): HostDrainResult => ({
  taken: 0,
  lastSequence: 0,
  more: false,
  written: 0,
  duplicates: 0,
  suppressed: 0,
  held: 0,
  nextHoldAtMs: null,
  consentSeen: false,
  ...over,
});

const fresh = () => {
  const state = new HostState('acme', 'sessions:acme:0');
  state.record(result(), 0); // the run's first look at its rows
  state.nextDrain(0);
  state.record(result(), 0);
  return state;
};

describe('HostState', () => {
  it('looks at its rows once when a run starts, whatever it was told', () => {
    const state = new HostState('acme', 'sessions:acme:0');
    expect(state.hasWork(0)).toBe(true);
    expect(state.nextDrain(0)).toEqual({ afterSequence: 0, recheckHeld: false, sessionTimeoutMs: 30 * 60_000 });
  });

  it('is idle after an empty drain, and works again on a notice, taking the notice’s session timeout', () => {
    const state = fresh();
    expect(state.hasWork(10)).toBe(false);
    state.notice({ events: 3, sessionTimeoutMs: 45 * 60_000 });
    expect(state.hasWork(10)).toBe(true);
    expect(state.nextDrain(10)).toEqual({ afterSequence: 0, recheckHeld: false, sessionTimeoutMs: 45 * 60_000 });
  });

  it.each([
    { label: 'a zero timeout', timeout: 0, expected: 30 * 60_000 },
    { label: 'a negative timeout', timeout: -5, expected: 30 * 60_000 },
    { label: 'a one-minute timeout', timeout: 60_000, expected: 60_000 },
  ])('keeps a sensible session timeout on $label', ({ timeout, expected }) => {
    const state = fresh();
    state.notice({ events: 1, sessionTimeoutMs: timeout });
    expect(state.nextDrain(0).sessionTimeoutMs).toBe(expected);
  });

  it('walks a pass in source order while drains come back full, then ends it', () => {
    const state = fresh();
    state.notice({ events: 5000, sessionTimeoutMs: 0 });
    expect(state.nextDrain(0).afterSequence).toBe(0);
    state.record(result({ taken: 2000, lastSequence: 2000, more: true }), 1);
    expect(state.inPass()).toBe(true);
    expect(state.nextDrain(1).afterSequence).toBe(2000);
    state.record(result({ taken: 2000, lastSequence: 4100, more: true }), 2);
    expect(state.nextDrain(2).afterSequence).toBe(4100);
    state.record(result({ taken: 1000, lastSequence: 5200, more: false }), 3);
    expect(state.inPass()).toBe(false);
    expect(state.hasWork(3)).toBe(false);
    expect(state.summary()).toMatchObject({ notices: 1, noticedEvents: 5000, taken: 5000 });
  });

  it('starts a new pass from the beginning for a notice that came during a pass', () => {
    const state = fresh();
    state.notice({ events: 1, sessionTimeoutMs: 0 });
    state.nextDrain(0);
    state.notice({ events: 1, sessionTimeoutMs: 0 });
    state.record(result({ taken: 2000, lastSequence: 9000, more: true }), 0);
    expect(state.nextDrain(0).afterSequence).toBe(9000);
    state.record(result({ taken: 3, lastSequence: 9003 }), 0);
    expect(state.hasWork(0)).toBe(true);
    expect(state.nextDrain(0).afterSequence).toBe(0);
  });

  it('re-checks held rows for a whole pass after a consent change, and only then', () => {
    const state = fresh();
    state.consentChanged();
    expect(state.nextDrain(0)).toMatchObject({ afterSequence: 0, recheckHeld: true });
    state.record(result({ taken: 2000, lastSequence: 2000, more: true, nextHoldAtMs: 50_000 }), 0);
    expect(state.nextDrain(0)).toMatchObject({ afterSequence: 2000, recheckHeld: true });
    state.record(result({ taken: 10, lastSequence: 2010 }), 0);
    state.notice({ events: 1, sessionTimeoutMs: 0 });
    expect(state.nextDrain(0).recheckHeld).toBe(false);
  });

  it('asks for a recheck when a drain saw consent carried by events and the host holds rows', () => {
    const state = fresh();
    state.notice({ events: 1, sessionTimeoutMs: 0 });
    state.nextDrain(0);
    state.record(result({ taken: 1, lastSequence: 7, consentSeen: true, nextHoldAtMs: 600_000 }), 0);
    expect(state.nextDrain(0).recheckHeld).toBe(true);

    const nothingHeld = fresh();
    nothingHeld.notice({ events: 1, sessionTimeoutMs: 0 });
    nothingHeld.nextDrain(0);
    nothingHeld.record(result({ taken: 1, lastSequence: 7, consentSeen: true, nextHoldAtMs: null }), 0);
    expect(nothingHeld.hasWork(0)).toBe(false);
  });

  it('waits for the earliest hold, works when it is due, and never spins when the database clock lags', () => {
    const state = fresh();
    state.notice({ events: 1, sessionTimeoutMs: 0 });
    state.nextDrain(0);
    state.record(result({ taken: 1, lastSequence: 1, held: 1, nextHoldAtMs: 600_000 }), 1_000);
    expect(state.hasWork(599_999)).toBe(false);
    expect(state.waitMs(1_000, 1_000, 60_000)).toBe(599_000);
    expect(state.hasWork(600_000)).toBe(true);
    state.nextDrain(600_000);
    // The drain found nothing due yet (Postgres' clock a little behind): retry a second later, not at once.
    state.record(result({ taken: 0, nextHoldAtMs: 600_000 }), 600_010);
    expect(state.hasWork(600_010)).toBe(false);
    expect(state.waitMs(600_010, 0, 60_000)).toBe(1_000);
  });

  it.each([
    { label: 'busy a moment ago', now: 1_000, last: 900, idle: 60_000, expected: 59_900 },
    { label: 'idle exactly the idle time', now: 61_000, last: 1_000, idle: 60_000, expected: 0 },
    { label: 'idle longer than the idle time', now: 500_000, last: 1_000, idle: 60_000, expected: 0 },
  ])('waits for the idle end when it holds nothing: $label', ({ now, last, idle, expected }) => {
    expect(fresh().waitMs(now, last, idle)).toBe(expected);
  });

  it('a host that holds rows never ends idle: it waits for the hold', () => {
    const state = fresh();
    state.notice({ events: 1, sessionTimeoutMs: 0 });
    state.nextDrain(0);
    state.record(result({ taken: 1, lastSequence: 1, held: 1, nextHoldAtMs: 10_000_000 }), 0);
    expect(state.waitMs(5_000_000, 0, 60_000)).toBe(5_000_000);
  });

  it('carries a few numbers across continue-as-new, whatever its devices sent', () => {
    const state = fresh();
    for (let i = 0; i < 10_000; i++) state.notice({ events: 1_000, sessionTimeoutMs: 60_000 });
    state.nextDrain(0);
    state.record(result({ taken: 2000, lastSequence: 2000, more: true, written: 1990, duplicates: 10, nextHoldAtMs: 5_000 }), 0);
    const carried = state.carry();
    expect(JSON.stringify(carried).length).toBeLessThan(1024);
    const next = new HostState('acme', 'sessions:acme:0', carried);
    expect(next.nextDrain(0)).toEqual({ afterSequence: 2000, recheckHeld: false, sessionTimeoutMs: 60_000 });
    expect(next.summary()).toMatchObject({ written: 1990, duplicates: 10, noticedEvents: 10_000_000, continuedAsNew: 1, nextHoldAt: new Date(5_000).toISOString() });
  });
});
