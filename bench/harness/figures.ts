/** How the benchmark rounds what it reports. */

export function round(n: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** a / b to two decimals, or null when there is no baseline. */
export function ratio(a: number, b: number): number | null {
  return b > 0 ? round(a / b) : null;
}

export interface Percentiles {
  p50: number;
  p99: number;
}

/** The middle of some figures (the upper middle of an even count), or null when there are none. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}
