/**
 * Weekly retention cohorts from counted rows: persons first seen in a week
 * (offset 0) and how many of them were active again 1..N weeks later. A week
 * that has not begun has no figure (null), one still running is marked
 * incomplete, so a young cohort's last weeks are not read as churn. Pure.
 */

/** Persons of a cohort (the Monday of their first week, UTC) active in week `weekOffset` after it. */
export interface RetentionRow {
  cohortWeek: string;
  weekOffset: number;
  persons: number;
}

export interface RetentionWeek {
  week: number;
  active: number | null;
  share: number | null;
  /** The week has ended: its figure will not grow any more (late events aside). */
  complete: boolean;
}

export interface RetentionCohort {
  /** YYYY-MM-DD, a Monday. */
  week: string;
  persons: number;
  weeks: RetentionWeek[];
}

const WEEK_MS = 7 * 86_400_000;

export function retentionCohorts(rows: readonly RetentionRow[], weeks: number, now: string): RetentionCohort[] {
  const current = Date.parse(now);
  const cohorts = [...new Set(rows.map((r) => r.cohortWeek))].filter((w) => Number.isFinite(Date.parse(`${w}T00:00:00Z`))).sort();
  return cohorts.map((week) => {
    const start = Date.parse(`${week}T00:00:00Z`);
    const active = (offset: number) => rows.filter((r) => r.cohortWeek === week && r.weekOffset === offset).reduce((n, r) => n + r.persons, 0);
    const persons = active(0);
    return {
      week,
      persons,
      weeks: Array.from({ length: Math.max(0, weeks) }, (_, i) => {
        const offset = i + 1;
        const begins = start + offset * WEEK_MS;
        if (!(begins <= current)) return { week: offset, active: null, share: null, complete: false };
        const n = active(offset);
        return { week: offset, active: n, share: persons > 0 ? Math.round((n / persons) * 10_000) / 10_000 : 0, complete: begins + WEEK_MS <= current };
      }),
    };
  });
}
