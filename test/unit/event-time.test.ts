import { describe, expect, it } from 'vitest';
import { DEFAULT_SKEW_TOLERANCE_MS, FUTURE_TOLERANCE_MS, computeEventTime, type EventTimeFlag } from '../../rules/event-time';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const YEAR = 365 * DAY;

const RECEIVED = Date.UTC(2026, 0, 31, 12, 0, 0);
/** An ISO string `offsetMs` away from the receipt time. */
const at = (offsetMs: number): string => new Date(RECEIVED + offsetMs).toISOString();

describe('computeEventTime', () => {
  it('uses the contract defaults: 30 s skew tolerance, 1 minute future tolerance', () => {
    expect(DEFAULT_SKEW_TOLERANCE_MS).toBe(30 * SECOND);
    expect(FUTURE_TOLERANCE_MS).toBe(MINUTE);
  });

  describe('client clock within tolerance: the timestamp stands', () => {
    it.each([
      { label: 'no sentAt', timestamp: at(-5 * SECOND), sentAt: undefined, expected: RECEIVED - 5 * SECOND },
      { label: 'sentAt equals receipt', timestamp: at(-5 * SECOND), sentAt: at(0), expected: RECEIVED - 5 * SECOND },
      { label: 'transit delay of 29 s', timestamp: at(-40 * SECOND), sentAt: at(-29 * SECOND), expected: RECEIVED - 40 * SECOND },
      { label: 'sentAt exactly 30 s before receipt', timestamp: at(-2 * MINUTE), sentAt: at(-30 * SECOND), expected: RECEIVED - 2 * MINUTE },
      { label: 'sentAt exactly 30 s after receipt', timestamp: at(-2 * MINUTE), sentAt: at(30 * SECOND), expected: RECEIVED - 2 * MINUTE },
      { label: 'event long before sending, clock fine', timestamp: at(-3 * DAY), sentAt: at(-1 * SECOND), expected: RECEIVED - 3 * DAY },
      { label: 'timestamp after sentAt but within a minute of receipt', timestamp: at(59 * SECOND), sentAt: at(0), expected: RECEIVED + 59 * SECOND },
    ])('$label', ({ timestamp, sentAt, expected }) => {
      expect(computeEventTime({ timestamp, sentAt, receivedAtMs: RECEIVED })).toEqual({ eventTimeMs: expected, flags: [] });
    });
  });

  describe('client clock off by more than the tolerance: receivedAt − (sentAt − timestamp)', () => {
    it.each([
      { label: 'sentAt 30 s + 1 ms before receipt', sentAtOffset: -(30 * SECOND + 1), gap: 10 * SECOND },
      { label: 'sentAt 30 s + 1 ms after receipt', sentAtOffset: 30 * SECOND + 1, gap: 10 * SECOND },
      { label: 'clock a day ahead', sentAtOffset: DAY, gap: 5 * MINUTE },
      { label: 'clock a day behind', sentAtOffset: -DAY, gap: 5 * MINUTE },
      { label: 'clock a year behind', sentAtOffset: -YEAR, gap: 2 * SECOND },
      { label: 'clock an hour ahead, event sent at once', sentAtOffset: HOUR, gap: 0 },
      { label: 'clock in 1970', sentAtOffset: -RECEIVED, gap: MINUTE },
    ])('$label (event $gap ms before sending)', ({ sentAtOffset, gap }) => {
      const result = computeEventTime({ timestamp: at(sentAtOffset - gap), sentAt: at(sentAtOffset), receivedAtMs: RECEIVED });
      expect(result).toEqual({ eventTimeMs: RECEIVED - gap, flags: ['clock_skew_corrected'] });
    });

    it('an offline client whose clock is right but who sends a year late is still shifted, since |receivedAt − sentAt| > tolerance', () => {
      // sentAt a year before receipt: the rule cannot tell "clock off" from "queued a year"; it shifts by sentAt − timestamp.
      const result = computeEventTime({ timestamp: at(-YEAR - MINUTE), sentAt: at(-YEAR), receivedAtMs: RECEIVED });
      expect(result).toEqual({ eventTimeMs: RECEIVED - MINUTE, flags: ['clock_skew_corrected'] });
    });

    it('an event a year late with a sentAt close to receipt keeps its year-old timestamp', () => {
      const result = computeEventTime({ timestamp: at(-YEAR), sentAt: at(-SECOND), receivedAtMs: RECEIVED });
      expect(result).toEqual({ eventTimeMs: RECEIVED - YEAR, flags: [] });
    });

    it('keeps the order of a client’s events: the shift is the same for every event of one batch', () => {
      const sentAt = at(DAY);
      const times = [-3 * MINUTE, -2 * MINUTE, -1 * MINUTE].map((o) => computeEventTime({ timestamp: at(DAY + o), sentAt, receivedAtMs: RECEIVED }).eventTimeMs);
      expect(times).toEqual([RECEIVED - 3 * MINUTE, RECEIVED - 2 * MINUTE, RECEIVED - MINUTE]);
    });

    it('works with offsets other than Z', () => {
      // sentAt 2026-01-31T13:00:00Z (an hour ahead) written in +05:30; timestamp 5 minutes earlier written in -08:00.
      const result = computeEventTime({ timestamp: '2026-01-31T04:55:00-08:00', sentAt: '2026-01-31T18:30:00+05:30', receivedAtMs: RECEIVED });
      expect(result).toEqual({ eventTimeMs: RECEIVED - 5 * MINUTE, flags: ['clock_skew_corrected'] });
    });
  });

  describe('custom skew tolerance', () => {
    const gap = 20 * SECOND;
    it.each([
      { toleranceMs: 0, sentAtOffset: 0, expected: RECEIVED - gap, flags: [] },
      { toleranceMs: 0, sentAtOffset: 1, expected: RECEIVED - gap, flags: ['clock_skew_corrected'] },
      { toleranceMs: 0, sentAtOffset: -1, expected: RECEIVED - gap, flags: ['clock_skew_corrected'] },
      { toleranceMs: 5 * MINUTE, sentAtOffset: -5 * MINUTE, expected: RECEIVED - 5 * MINUTE - gap, flags: [] },
      { toleranceMs: 5 * MINUTE, sentAtOffset: -5 * MINUTE - 1, expected: RECEIVED - gap, flags: ['clock_skew_corrected'] },
      { toleranceMs: 5 * MINUTE, sentAtOffset: 5 * MINUTE, expected: RECEIVED, flags: ['future_time_clamped'] },
      { toleranceMs: 5 * MINUTE, sentAtOffset: 5 * MINUTE + 1, expected: RECEIVED - gap, flags: ['clock_skew_corrected'] },
      { toleranceMs: 5 * MINUTE, sentAtOffset: 2 * MINUTE, expected: RECEIVED, flags: ['future_time_clamped'] },
      { toleranceMs: 5 * MINUTE, sentAtOffset: 45 * SECOND, expected: RECEIVED + 25 * SECOND, flags: [] },
      { toleranceMs: DAY, sentAtOffset: -DAY + 1, expected: RECEIVED - DAY + 1 - gap, flags: [] },
      { toleranceMs: DAY, sentAtOffset: -DAY - 1, expected: RECEIVED - gap, flags: ['clock_skew_corrected'] },
      { toleranceMs: 10 * SECOND, sentAtOffset: 11 * SECOND, expected: RECEIVED - gap, flags: ['clock_skew_corrected'] },
    ] as { toleranceMs: number; sentAtOffset: number; expected: number; flags: EventTimeFlag[] }[])(
      'tolerance $toleranceMs ms, sentAt $sentAtOffset ms from receipt, event 20 s before sentAt → $flags',
      ({ toleranceMs, sentAtOffset, expected, flags }) => {
        const result = computeEventTime({ timestamp: at(sentAtOffset - gap), sentAt: at(sentAtOffset), receivedAtMs: RECEIVED, skewToleranceMs: toleranceMs });
        expect(result).toEqual({ eventTimeMs: expected, flags });
      },
    );

    it('uses 30 s when no tolerance is given', () => {
      const at30 = computeEventTime({ timestamp: at(-40 * SECOND), sentAt: at(-30 * SECOND), receivedAtMs: RECEIVED });
      const at31 = computeEventTime({ timestamp: at(-41 * SECOND), sentAt: at(-31 * SECOND), receivedAtMs: RECEIVED });
      expect(at30.flags).toEqual([]);
      expect(at31).toEqual({ eventTimeMs: RECEIVED - 10 * SECOND, flags: ['clock_skew_corrected'] });
    });
  });

  describe('future clamp: more than 60 s after receipt becomes receipt', () => {
    it.each([
      { label: 'exactly 60 s ahead, no sentAt', timestamp: at(MINUTE), sentAt: undefined, expected: RECEIVED + MINUTE, flags: [] },
      { label: '60 s + 1 ms ahead, no sentAt', timestamp: at(MINUTE + 1), sentAt: undefined, expected: RECEIVED, flags: ['future_time_clamped'] },
      { label: 'a year ahead, no sentAt', timestamp: at(YEAR), sentAt: undefined, expected: RECEIVED, flags: ['future_time_clamped'] },
      { label: 'timestamp 2 minutes after sentAt, clock fine', timestamp: at(2 * MINUTE), sentAt: at(0), expected: RECEIVED, flags: ['future_time_clamped'] },
      {
        label: 'skew corrected and still more than a minute ahead',
        timestamp: at(DAY + 5 * MINUTE),
        sentAt: at(DAY),
        expected: RECEIVED,
        flags: ['clock_skew_corrected', 'future_time_clamped'],
      },
      { label: 'skew corrected into the past is not clamped', timestamp: at(DAY - 5 * MINUTE), sentAt: at(DAY), expected: RECEIVED - 5 * MINUTE, flags: ['clock_skew_corrected'] },
      { label: 'a day-ahead clock is brought back rather than clamped', timestamp: at(DAY), sentAt: at(DAY), expected: RECEIVED, flags: ['clock_skew_corrected'] },
      { label: 'the year 9999', timestamp: '9999-12-31T23:59:59Z', sentAt: undefined, expected: RECEIVED, flags: ['future_time_clamped'] },
    ] as { label: string; timestamp: string; sentAt: string | undefined; expected: number; flags: EventTimeFlag[] }[])('$label', ({ timestamp, sentAt, expected, flags }) => {
      expect(computeEventTime({ timestamp, sentAt, receivedAtMs: RECEIVED })).toEqual({ eventTimeMs: expected, flags });
    });
  });

  describe('missing or unusable timestamp → receivedAt, flagged timestamp_defaulted', () => {
    it.each([
      { label: 'no timestamp', timestamp: undefined, sentAt: undefined },
      { label: 'no timestamp, skewed sentAt', timestamp: undefined, sentAt: at(DAY) },
      { label: 'unparseable timestamp', timestamp: 'yesterday', sentAt: undefined },
      { label: 'timestamp without offset', timestamp: '2026-01-31T11:00:00', sentAt: at(0) },
      { label: 'impossible date', timestamp: '2024-02-30T00:00:00Z', sentAt: undefined },
      { label: 'empty string', timestamp: '', sentAt: undefined },
    ])('$label', ({ timestamp, sentAt }) => {
      expect(computeEventTime({ timestamp, sentAt, receivedAtMs: RECEIVED })).toEqual({ eventTimeMs: RECEIVED, flags: ['timestamp_defaulted'] });
    });

    it('a backfilled event without a timestamp also defaults to receipt', () => {
      expect(computeEventTime({ receivedAtMs: RECEIVED, backfill: true })).toEqual({ eventTimeMs: RECEIVED, flags: ['timestamp_defaulted'] });
    });
  });

  describe('unparseable sentAt is treated as absent', () => {
    it.each([
      { sentAt: 'not a date' },
      { sentAt: '2026-01-31T12:00:00' },
      { sentAt: '' },
      { sentAt: '2023-02-29T00:00:00Z' },
    ])('sentAt $sentAt', ({ sentAt }) => {
      expect(computeEventTime({ timestamp: at(-HOUR), sentAt, receivedAtMs: RECEIVED })).toEqual({ eventTimeMs: RECEIVED - HOUR, flags: [] });
    });
  });

  describe('backfill keeps the timestamp as given', () => {
    it.each([
      { label: 'a year ago with a skewed sentAt', timestamp: at(-YEAR), sentAt: at(-YEAR + DAY) },
      { label: 'a day in the future', timestamp: at(DAY), sentAt: undefined },
      { label: 'clock a day ahead', timestamp: at(DAY - MINUTE), sentAt: at(DAY) },
      { label: 'year 0001', timestamp: '0001-01-01T00:00:00Z', sentAt: undefined },
    ])('$label', ({ timestamp, sentAt }) => {
      expect(computeEventTime({ timestamp, sentAt, receivedAtMs: RECEIVED, backfill: true })).toEqual({ eventTimeMs: Date.parse(timestamp), flags: [] });
    });

    it('backfill: false behaves like live traffic', () => {
      expect(computeEventTime({ timestamp: at(DAY - MINUTE), sentAt: at(DAY), receivedAtMs: RECEIVED, backfill: false })).toEqual({
        eventTimeMs: RECEIVED - MINUTE,
        flags: ['clock_skew_corrected'],
      });
    });
  });

  it('is deterministic and does not read the wall clock', () => {
    const input = { timestamp: '2001-09-09T01:46:40Z', sentAt: '2001-09-09T01:47:40Z', receivedAtMs: Date.UTC(2001, 8, 9, 1, 47, 40) };
    expect(computeEventTime(input)).toEqual({ eventTimeMs: 1_000_000_000_000, flags: [] });
    expect(computeEventTime(input)).toEqual(computeEventTime({ ...input }));
  });
});
