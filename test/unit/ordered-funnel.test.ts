import { describe, expect, it } from 'vitest';
import { reachedSteps, type FunnelEvent } from '../../rules/ordered-funnel';

const MIN = 60_000;
const STEPS = ['View', 'Add', 'Buy'];
const SPAN = { fromMs: 0, toMs: 60 * MIN, windowMs: 10 * MIN };
const at = (event: string, minutes: number, id = `${event}-${minutes}`): FunnelEvent => ({ event, timeMs: minutes * MIN, id });

describe('reachedSteps', () => {
  it.each([
    { label: 'no subjects', subjects: [], expected: [0, 0, 0] },
    { label: 'a subject without step events', subjects: [[at('Other', 1)]], expected: [0, 0, 0] },
    { label: 'all three in order', subjects: [[at('View', 1), at('Add', 2), at('Buy', 3)]], expected: [1, 1, 1] },
    { label: 'out of order: Buy before Add', subjects: [[at('View', 1), at('Buy', 2), at('Add', 3)]], expected: [1, 1, 0] },
    { label: 'step 2 beyond the window', subjects: [[at('View', 1), at('Add', 12)]], expected: [1, 0, 0] },
    { label: 'exactly at the window', subjects: [[at('View', 1), at('Add', 11)]], expected: [1, 1, 0] },
    { label: 'a later start rescues a chain the window broke', subjects: [[at('View', 1), at('View', 20), at('Add', 25), at('Buy', 29)]], expected: [1, 1, 1] },
    { label: 'step 1 before the range', subjects: [[at('View', -1), at('Add', 2)]], expected: [0, 0, 0] },
    { label: 'step 1 at the end of the range (exclusive)', subjects: [[at('View', 60), at('Add', 61)]], expected: [0, 0, 0] },
    { label: 'later steps may fall after the range, within the window', subjects: [[at('View', 59), at('Add', 65), at('Buy', 68)]], expected: [1, 1, 1] },
    { label: 'same time: the id breaks the tie', subjects: [[at('Add', 5, 'a'), at('View', 5, 'b')], [at('View', 5, 'a'), at('Add', 5, 'b')]], expected: [2, 1, 0] },
    { label: 'two subjects, one drops off', subjects: [[at('View', 1), at('Add', 2), at('Buy', 3)], [at('View', 4)]], expected: [2, 1, 1] },
    { label: 'unsorted input', subjects: [[at('Buy', 3), at('View', 1), at('Add', 2)]], expected: [1, 1, 1] },
  ])('$label → $expected', ({ subjects, expected }) => {
    expect(reachedSteps(subjects, STEPS, SPAN)).toEqual(expected);
  });

  it('never counts more subjects at a step than at the one before', () => {
    const subjects = Array.from({ length: 200 }, (_, s) => Array.from({ length: 6 }, (_, i) => at(STEPS[(s * 7 + i * 3) % 3]!, (s % 50) + i * 2, `${s}-${i}`)));
    const reached = reachedSteps(subjects, STEPS, SPAN);
    for (let k = 1; k < reached.length; k++) expect(reached[k]).toBeLessThanOrEqual(reached[k - 1]!);
  });
});
