import { describe, expect, it } from 'vitest';
import { decideOnExit, restartDelayMs, STABLE_AFTER_MS, type ExitFacts } from '../../runtime/restart-policy';

const crashed = (facts: Partial<ExitFacts>): ExitFacts => ({ stopping: false, everReady: true, restarts: 0, ranMs: 5_000, ...facts });

describe('decideOnExit', () => {
  it.each([
    { label: 'asked to stop', facts: crashed({ stopping: true }), expected: { action: 'stopped' } },
    { label: 'asked to stop before it was ever ready', facts: crashed({ stopping: true, everReady: false }), expected: { action: 'stopped' } },
    { label: 'died before it was ever ready', facts: crashed({ everReady: false }), expected: { action: 'give_up', reason: 'exited_before_ready' } },
    { label: 'first crash after running', facts: crashed({}), expected: { action: 'restart', delayMs: 1_000, restarts: 1 } },
    { label: 'second crash in a row', facts: crashed({ restarts: 1 }), expected: { action: 'restart', delayMs: 2_000, restarts: 2 } },
    { label: 'fifth crash in a row', facts: crashed({ restarts: 4 }), expected: { action: 'restart', delayMs: 16_000, restarts: 5 } },
    { label: 'sixth crash in a row hits the cap', facts: crashed({ restarts: 5 }), expected: { action: 'restart', delayMs: 30_000, restarts: 6 } },
    { label: 'crash after a restart that never got ready again', facts: crashed({ restarts: 3, ranMs: 0 }), expected: { action: 'restart', delayMs: 8_000, restarts: 4 } },
    { label: 'crash after a stable run starts over', facts: crashed({ restarts: 7, ranMs: STABLE_AFTER_MS }), expected: { action: 'restart', delayMs: 1_000, restarts: 1 } },
    { label: 'crash just short of a stable run keeps backing off', facts: crashed({ restarts: 2, ranMs: STABLE_AFTER_MS - 1 }), expected: { action: 'restart', delayMs: 4_000, restarts: 3 } },
  ])('$label', ({ facts, expected }) => {
    expect(decideOnExit(facts)).toEqual(expected);
  });
});

describe('restartDelayMs', () => {
  it.each([
    [0, 1_000],
    [1, 2_000],
    [4, 16_000],
    [5, 30_000],
    [1_000, 30_000],
    [-1, 1_000],
  ])('after %i restarts in a row: %i ms', (restarts, delay) => {
    expect(restartDelayMs(restarts)).toBe(delay);
  });
});
