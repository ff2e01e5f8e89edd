import { describe, expect, it } from 'vitest';
import { funnelSegments, rate, segmentName, type SegmentStepRow } from '../../rules/funnel-segments';

const row = (step: number, segment: string, persons: number, conversionRate = 0): SegmentStepRow => ({ step, event: `E${step}`, segment, persons, conversionRate });

describe('funnelSegments', () => {
  it('gathers each value’s steps: started at step 1, converted at the last, largest segment first', () => {
    const rows = [row(1, 'mobile', 12, 0.0909), row(1, 'web', 120, 0.9091), row(2, 'mobile', 8), row(2, 'web', 90), row(3, 'mobile', 0), row(3, 'web', 30, 0.2273)];
    expect(funnelSegments(rows)).toEqual([
      {
        value: 'web',
        persons: 120,
        converted: 30,
        conversionRate: 0.25,
        steps: [
          { step: 1, event: 'E1', persons: 120, shareOfStarted: 0.9091 },
          { step: 2, event: 'E2', persons: 90, shareOfStarted: 0 },
          { step: 3, event: 'E3', persons: 30, shareOfStarted: 0.2273 },
        ],
      },
      {
        value: 'mobile',
        persons: 12,
        converted: 0,
        conversionRate: 0,
        steps: [
          { step: 1, event: 'E1', persons: 12, shareOfStarted: 0.0909 },
          { step: 2, event: 'E2', persons: 8, shareOfStarted: 0 },
          { step: 3, event: 'E3', persons: 0, shareOfStarted: 0 },
        ],
      },
    ]);
  });

  it.each([
    ['no rows', [], []],
    ['a value nobody started on (0 persons: rate 0, not NaN)', [row(1, 'ios', 0), row(2, 'ios', 0)], [['ios', 0, 0, 0]]],
    ['rows in any order', [row(2, 'b', 1), row(1, 'a', 2), row(1, 'b', 3), row(2, 'a', 2)], [['b', 3, 1, 0.3333], ['a', 2, 2, 1]]],
    ['equal sizes by value', [row(1, 'b', 5), row(1, 'a', 5), row(2, 'a', 1), row(2, 'b', 1)], [['a', 5, 1, 0.2], ['b', 5, 1, 0.2]]],
    ['a value that reached a later step only (reached it on another channel)', [row(1, 'web', 3), row(2, 'web', 0), row(1, 'backend', 0), row(2, 'backend', 3)], [['web', 3, 0, 0], ['backend', 0, 3, 0]]],
  ] as [string, SegmentStepRow[], [string, number, number, number][]][])('%s', (_label, rows, expected) => {
    expect(funnelSegments(rows).map((s) => [s.value, s.persons, s.converted, s.conversionRate])).toEqual(expected);
  });
});

describe('rate and segmentName', () => {
  it.each([
    [1, 3, 0.3333],
    [2, 3, 0.6667],
    [0, 0, 0],
    [5, 0, 0],
    [3, 3, 1],
  ])('%i of %i → %f', (part, whole, r) => {
    expect(rate(part, whole)).toBe(r);
  });
  it('names a segment breakdown=value', () => {
    expect(segmentName('platform', 'iOS')).toBe('platform=iOS');
  });
});
