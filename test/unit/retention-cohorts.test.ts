import { describe, expect, it } from 'vitest';
import { retentionCohorts, type RetentionRow } from '../../rules/retention-cohorts';

const r = (cohortWeek: string, weekOffset: number, persons: number): RetentionRow => ({ cohortWeek, weekOffset, persons });
const NOW = '2026-05-20T12:00:00Z'; // a Wednesday: the week of 2026-05-18 is running

describe('retentionCohorts', () => {
  it('shares of each cohort per week after its first; running weeks incomplete, future weeks empty', () => {
    const rows = [r('2026-05-04', 0, 100), r('2026-05-04', 1, 40), r('2026-05-04', 2, 25), r('2026-05-11', 0, 50), r('2026-05-11', 1, 10)];
    expect(retentionCohorts(rows, 3, NOW)).toEqual([
      {
        week: '2026-05-04',
        persons: 100,
        weeks: [
          { week: 1, active: 40, share: 0.4, complete: true },
          { week: 2, active: 25, share: 0.25, complete: false },
          { week: 3, active: null, share: null, complete: false },
        ],
      },
      {
        week: '2026-05-11',
        persons: 50,
        weeks: [
          { week: 1, active: 10, share: 0.2, complete: false },
          { week: 2, active: null, share: null, complete: false },
          { week: 3, active: null, share: null, complete: false },
        ],
      },
    ]);
  });

  it.each([
    ['no rows', [], 4, []],
    ['a week with nobody back is 0, not missing', [r('2026-04-06', 0, 7)], 2, [[7, [0, 0]]]],
    ['cohorts sorted by week, whatever the row order', [r('2026-04-13', 0, 2), r('2026-04-06', 0, 3)], 1, [[3, [0]], [2, [0]]]],
    ['offsets beyond the weeks asked and negative ones are ignored', [r('2026-04-06', 0, 4), r('2026-04-06', 9, 4), r('2026-04-06', -1, 4)], 2, [[4, [0, 0]]]],
    ['rows of one cohort and offset add up', [r('2026-04-06', 0, 2), r('2026-04-06', 0, 3), r('2026-04-06', 1, 1)], 1, [[5, [0.2]]]],
    ['a cohort without its first week (0 persons) has shares of 0', [r('2026-04-06', 1, 2)], 1, [[0, [0]]]],
    ['not a date: left out', [r('garbage', 0, 2)], 1, []],
    ['zero weeks asked', [r('2026-04-06', 0, 2)], 0, [[2, []]]],
  ] as [string, RetentionRow[], number, [number, number[]][]][])('%s', (_label, rows, weeks, expected) => {
    expect(retentionCohorts(rows, weeks, NOW).map((c) => [c.persons, c.weeks.map((w) => w.share)])).toEqual(expected);
  });

  it('a week counts as complete from the moment it ends', () => {
    const rows = [r('2026-05-04', 0, 10), r('2026-05-04', 1, 5)];
    expect(retentionCohorts(rows, 1, '2026-05-17T23:59:59Z')[0]!.weeks[0]!.complete).toBe(false);
    expect(retentionCohorts(rows, 1, '2026-05-18T00:00:00Z')[0]!.weeks[0]!.complete).toBe(true);
    expect(retentionCohorts(rows, 1, '2026-05-10T23:59:59Z')[0]!.weeks[0]!.share).toBeNull();
  });
});
