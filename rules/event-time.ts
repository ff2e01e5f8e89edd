import { parseIsoTimestamp } from '../contracts/timestamps';

export const DEFAULT_SKEW_TOLERANCE_MS = 30_000;
/** Event times more than this after receipt are clamped to the receipt time. */
export const FUTURE_TOLERANCE_MS = 60_000;

export type EventTimeFlag = 'clock_skew_corrected' | 'future_time_clamped' | 'timestamp_defaulted';

export interface EventTimeInput {
  timestamp?: string;
  sentAt?: string;
  receivedAtMs: number;
  skewToleranceMs?: number;
  /** Backfilled events keep their `timestamp` as given. */
  backfill?: boolean;
}

export interface EventTime {
  eventTimeMs: number;
  flags: EventTimeFlag[];
}

/**
 * The contract's event-time rule. When the client's clock is off by more than
 * the tolerance (|receivedAt − sentAt| > tolerance), the event time is shifted
 * by the same offset: receivedAt − (sentAt − timestamp). Otherwise the client's
 * timestamp stands, so transit delay never reorders a client's events. A time
 * more than a minute after receipt is clamped to the receipt. Pure.
 *
 * Inputs are assumed validated: an unparseable timestamp or sentAt is treated as absent.
 */
export function computeEventTime(input: EventTimeInput): EventTime {
  const timestampMs = input.timestamp === undefined ? null : parseIsoTimestamp(input.timestamp);
  if (timestampMs === null) return { eventTimeMs: input.receivedAtMs, flags: ['timestamp_defaulted'] };
  if (input.backfill) return { eventTimeMs: timestampMs, flags: [] };

  const flags: EventTimeFlag[] = [];
  let eventTimeMs = timestampMs;
  const sentAtMs = input.sentAt === undefined ? null : parseIsoTimestamp(input.sentAt);
  const tolerance = input.skewToleranceMs ?? DEFAULT_SKEW_TOLERANCE_MS;
  if (sentAtMs !== null && Math.abs(input.receivedAtMs - sentAtMs) > tolerance) {
    eventTimeMs = input.receivedAtMs - (sentAtMs - timestampMs);
    flags.push('clock_skew_corrected');
  }
  if (eventTimeMs - input.receivedAtMs > FUTURE_TOLERANCE_MS) {
    eventTimeMs = input.receivedAtMs;
    flags.push('future_time_clamped');
  }
  return { eventTimeMs, flags };
}
