import type { BurstReport } from './scenarios/burst';
import type { CollectorReport } from './scenarios/collector';
import type { TrickleReport } from './scenarios/trickle';

export interface Goal {
  target: string;
  value: number | null;
  /** Null when the scenario that measures it did not run (or failed). */
  met: boolean | null;
}

/** RudderStack's published gateway throughput on comparable hardware, the low end of 11.9–15.3k events/s. */
const RUDDERSTACK_EVENTS_PER_SECOND = 11_900;

export const atMost = (target: number, value: number | null | undefined, unit = ''): Goal => ({
  target: `≤ ${target}${unit}`,
  value: value ?? null,
  met: value === null || value === undefined ? null : value <= target,
});
export const atLeast = (target: number, value: number | null | undefined, unit = ''): Goal => ({
  target: `≥ ${target}${unit}`,
  value: value ?? null,
  met: value === null || value === undefined ? null : value >= target,
});

/** The goals, each with the figure of this run that decides it. */
export function evaluateGoals(results: { burst?: BurstReport; trickle?: TrickleReport; collector?: CollectorReport }) {
  const hosted = results.burst?.variants.hosted;
  const trickle = results.trickle;
  return {
    hostedVsRaw: atLeast(0.5, results.burst?.hostedVsRaw),
    historyEventsPerCanonicalEvent: atMost(0.05, hosted?.history?.eventsPerCanonicalEvent),
    historyBytesPerCanonicalEvent: atMost(64, hosted?.history?.bytesPerCanonicalEvent, ' B'),
    trickleKeepsUpAt: trickle ? atLeast(3200, trickle.maxRateKeptUp ?? 0, ' events/s') : atLeast(3200, null, ' events/s'),
    trickleP99At1600: atMost(2000, trickle?.at1600?.p99, ' ms'),
    workerRssWith20kDevices: atMost(1536, trickle?.peakRssMb.worker, ' MB'),
    collectorEventsPerSecond: atLeast(RUDDERSTACK_EVENTS_PER_SECOND, results.collector?.eventsPerSecond, ' events/s (RudderStack ~11.9–15.3k)'),
  };
}
