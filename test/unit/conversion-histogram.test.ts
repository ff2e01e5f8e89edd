import { describe, expect, it } from 'vitest';
import { conversionHistogram, histogramBounds } from '../../rules/conversion-histogram';

describe('histogramBounds', () => {
  it.each([
    [3600, [60, 300, 900, 3600]],
    [86_400, [60, 300, 900, 3600, 21_600, 86_400]],
    [30, [30]],
    [60, [60]],
    [61, [60, 61]],
    [90 * 86_400, [60, 300, 900, 3600, 21_600, 86_400, 259_200, 604_800, 1_209_600, 2_592_000, 5_184_000, 7_776_000]],
    [0, []],
    [-5, []],
    [Number.NaN, []],
  ])('window %d s → %j', (window, bounds) => {
    expect(histogramBounds(window)).toEqual(bounds);
  });
});

describe('conversionHistogram', () => {
  it('turns cumulative counts into buckets', () => {
    expect(
      conversionHistogram([
        { upToSeconds: 60, converted: 2 },
        { upToSeconds: 300, converted: 2 },
        { upToSeconds: 900, converted: 7 },
      ]),
    ).toEqual([
      { fromSeconds: 0, toSeconds: 60, persons: 2 },
      { fromSeconds: 60, toSeconds: 300, persons: 0 },
      { fromSeconds: 300, toSeconds: 900, persons: 5 },
    ]);
  });
  it.each([
    [[], []],
    [[{ upToSeconds: 900, converted: 7 }, { upToSeconds: 60, converted: 2 }], [2, 5]], // any order
    [[{ upToSeconds: 60, converted: 5 }, { upToSeconds: 300, converted: 3 }], [5, 0]], // never negative (data changed between reads)
  ])('%j → %j', (cumulative, persons) => {
    expect(conversionHistogram(cumulative).map((b) => b.persons)).toEqual(persons);
  });
});
