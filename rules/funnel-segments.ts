/**
 * A funnel split by a breakdown (channel, platform, app version, region), as
 * analysts compare it: per value, the persons who started (step 1 on that
 * value), how many of them got to the last step there, and that rate, with
 * the per-step figures in step order. Pure.
 */

/** One row of analytics.funnel_by_channel, or of the same split by another breakdown. */
export interface SegmentStepRow {
  step: number;
  event: string;
  segment: string;
  persons: number;
  /** Persons at this step on this value, as a share of all persons at step 1 (the SQL functions' conversion_rate). */
  conversionRate: number;
}

export interface FunnelSegment {
  value: string;
  /** Persons at step 1 on this value. */
  persons: number;
  /** Persons at the last step on this value. */
  converted: number;
  /** converted / persons, 4 decimals; 0 when nobody started here. */
  conversionRate: number;
  steps: { step: number; event: string; persons: number; shareOfStarted: number }[];
}

export const rate = (part: number, whole: number) => (whole > 0 ? Math.round((part / whole) * 10_000) / 10_000 : 0);

/** Rows per step and value → one entry per value, the largest first (ties by value). */
export function funnelSegments(rows: readonly SegmentStepRow[]): FunnelSegment[] {
  if (rows.length === 0) return [];
  const first = Math.min(...rows.map((r) => r.step));
  const last = Math.max(...rows.map((r) => r.step));
  const byValue = new Map<string, SegmentStepRow[]>();
  for (const row of rows) byValue.set(row.segment, [...(byValue.get(row.segment) ?? []), row]);
  return [...byValue]
    .map(([value, own]) => {
      const at = (step: number) => own.filter((r) => r.step === step).reduce((n, r) => n + r.persons, 0);
      const [persons, converted] = [at(first), at(last)];
      return {
        value,
        persons,
        converted,
        conversionRate: rate(converted, persons),
        steps: [...own].sort((a, b) => a.step - b.step).map((r) => ({ step: r.step, event: r.event, persons: r.persons, shareOfStarted: r.conversionRate })),
      };
    })
    .sort((a, b) => b.persons - a.persons || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
}

/** How a segment is named in guardrails and tables: `platform=iOS`. */
export const segmentName = (breakdown: string, value: string) => `${breakdown}=${value}`;
