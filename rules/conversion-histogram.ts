/**
 * A histogram of time to convert read from cumulative counts: how many
 * persons converted within each of a ladder of bounds (analytics.time_to_convert
 * with the bound as its window), so the buckets and the percentiles come from
 * one definition of a conversion. Pure.
 */

const MINUTE = 60;
const HOUR = 3600;
const DAY = 86_400;
/** Bucket upper bounds in seconds, as people read durations. */
export const HISTOGRAM_LADDER = [MINUTE, 5 * MINUTE, 15 * MINUTE, HOUR, 6 * HOUR, DAY, 3 * DAY, 7 * DAY, 14 * DAY, 30 * DAY, 60 * DAY];

/** The ladder's bounds below the conversion window, then the window itself. */
export function histogramBounds(windowSeconds: number): number[] {
  if (!(windowSeconds > 0)) return [];
  return [...HISTOGRAM_LADDER.filter((b) => b < windowSeconds), windowSeconds];
}

export interface CumulativeCount {
  /** Converted within this many seconds. */
  upToSeconds: number;
  converted: number;
}

export interface HistogramBucket {
  fromSeconds: number;
  toSeconds: number;
  persons: number;
}

/** Buckets (previous bound, bound] with the persons who converted in them. */
export function conversionHistogram(cumulative: readonly CumulativeCount[]): HistogramBucket[] {
  const sorted = [...cumulative].sort((a, b) => a.upToSeconds - b.upToSeconds);
  return sorted.map((c, i) => {
    const before = i === 0 ? { upToSeconds: 0, converted: 0 } : (sorted[i - 1] as CumulativeCount);
    return { fromSeconds: before.upToSeconds, toSeconds: c.upToSeconds, persons: Math.max(0, c.converted - before.converted) };
  });
}
