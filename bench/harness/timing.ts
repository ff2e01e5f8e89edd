import { performance } from 'node:perf_hooks';
import { median, round } from './figures';

export interface Timed<T> {
  /** Median wall time of the measured runs, in milliseconds. */
  ms: number;
  /** What the warm-up run answered. */
  answer: T;
}

/** Runs `work` once to warm up (its answer is kept), then `runs` times measured; the median of those. */
export async function medianOfRuns<T>(work: () => Promise<T>, runs: number): Promise<Timed<T>> {
  const answer = await work();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await work();
    times.push(performance.now() - started);
  }
  return { ms: round(median(times) ?? 0), answer };
}
