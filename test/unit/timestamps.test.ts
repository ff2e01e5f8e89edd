import { describe, expect, it } from 'vitest';
import { parseIsoTimestamp, toIso } from '../../contracts/timestamps';

/** Epoch milliseconds of a UTC wall-clock time, computed independently of the rule. */
const utc = (y: number, mo: number, d: number, h = 0, mi = 0, s = 0, ms = 0): number => Date.UTC(y, mo - 1, d, h, mi, s, ms);
/** Date.UTC maps years 0–99 to 1900–1999; this one does not. */
const utcSmallYear = (y: number, mo: number, d: number, h = 0, mi = 0, s = 0, ms = 0): number => {
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  date.setUTCHours(h, mi, s, ms);
  return date.getTime();
};
const HOUR = 3_600_000;
const MINUTE = 60_000;

describe('parseIsoTimestamp', () => {
  describe('accepts ISO-8601 with an offset', () => {
    it.each([
      { label: 'Z', text: '2026-01-31T12:00:00Z', expected: utc(2026, 1, 31, 12) },
      { label: 'lower-case z', text: '2026-01-31T12:00:00z', expected: utc(2026, 1, 31, 12) },
      { label: 'lower-case t separator', text: '2026-01-31t12:00:00Z', expected: utc(2026, 1, 31, 12) },
      { label: 'space separator', text: '2026-01-31 12:00:00Z', expected: utc(2026, 1, 31, 12) },
      { label: 'no seconds', text: '2026-01-31T12:34Z', expected: utc(2026, 1, 31, 12, 34) },
      { label: '+00:00', text: '2026-01-31T12:00:00+00:00', expected: utc(2026, 1, 31, 12) },
      { label: '-00:00', text: '2026-01-31T12:00:00-00:00', expected: utc(2026, 1, 31, 12) },
      { label: '+05:30 (ahead of UTC)', text: '2026-01-31T12:00:00+05:30', expected: utc(2026, 1, 31, 12) - 5.5 * HOUR },
      { label: '+0530 without colon', text: '2026-01-31T12:00:00+0530', expected: utc(2026, 1, 31, 12) - 5.5 * HOUR },
      { label: '+05 hours only', text: '2026-01-31T12:00:00+05', expected: utc(2026, 1, 31, 7) },
      { label: '-08:00 (behind UTC)', text: '2026-01-31T12:00:00-08:00', expected: utc(2026, 1, 31, 20) },
      { label: '-0800 without colon', text: '2026-01-31T12:00:00-0800', expected: utc(2026, 1, 31, 20) },
      { label: '-03:30 (Newfoundland)', text: '2026-01-31T12:00:00-03:30', expected: utc(2026, 1, 31, 15, 30) },
      { label: '+14:00 (Kiribati)', text: '2026-01-01T00:00:00+14:00', expected: utc(2025, 12, 31, 10) },
      { label: '-12:00', text: '2025-12-31T23:00:00-12:00', expected: utc(2026, 1, 1, 11) },
      { label: '+23:59 largest offset', text: '2026-01-31T23:59:00+23:59', expected: utc(2026, 1, 31) },
      { label: 'offset crosses a year', text: '2025-12-31T23:30:00-01:00', expected: utc(2026, 1, 1, 0, 30) },
      { label: 'last second of a day', text: '2026-01-31T23:59:59Z', expected: utc(2026, 1, 31, 23, 59, 59) },
      { label: 'midnight', text: '2026-02-01T00:00:00Z', expected: utc(2026, 2, 1) },
      { label: 'epoch', text: '1970-01-01T00:00:00Z', expected: 0 },
      { label: 'before the epoch', text: '1969-12-31T23:59:59Z', expected: -1000 },
      { label: 'year 9999', text: '9999-12-31T23:59:59Z', expected: utc(9999, 12, 31, 23, 59, 59) },
    ])('$label: $text', ({ text, expected }) => {
      expect(parseIsoTimestamp(text)).toBe(expected);
    });
  });

  describe('fractional seconds', () => {
    const base = utc(2026, 1, 31, 12, 0, 0);
    it.each([
      { text: '2026-01-31T12:00:00.1Z', millis: 100 },
      { text: '2026-01-31T12:00:00.12Z', millis: 120 },
      { text: '2026-01-31T12:00:00.123Z', millis: 123 },
      { text: '2026-01-31T12:00:00.05Z', millis: 50 },
      { text: '2026-01-31T12:00:00.007Z', millis: 7 },
      { text: '2026-01-31T12:00:00.1234Z', millis: 123 },
      { text: '2026-01-31T12:00:00.123456Z', millis: 123 },
      { text: '2026-01-31T12:00:00.999999999Z', millis: 999 },
      { text: '2026-01-31T12:00:00.123456789+00:00', millis: 123 },
      { text: '2026-01-31T12:00:00.000000000Z', millis: 0 },
      { text: '2026-01-31T12:00:00,5Z', millis: 500 },
    ])('$text → +$millis ms (sub-millisecond digits truncated)', ({ text, millis }) => {
      expect(parseIsoTimestamp(text)).toBe(base + millis);
    });

    it.each([
      { label: '10 fraction digits', text: '2026-01-31T12:00:00.1234567890Z' },
      { label: 'a dot and no digits', text: '2026-01-31T12:00:00.Z' },
      { label: 'a fraction without seconds', text: '2026-01-31T12:00.5Z' },
      { label: 'letters in the fraction', text: '2026-01-31T12:00:00.12aZ' },
    ])('refuses $label: $text', ({ text }) => {
      expect(parseIsoTimestamp(text)).toBeNull();
    });
  });

  describe('calendar', () => {
    it.each([
      { label: 'Feb 29 of a leap year', text: '2024-02-29T00:00:00Z', expected: utc(2024, 2, 29) },
      { label: 'Feb 29 of a 400-year leap year', text: '2000-02-29T00:00:00Z', expected: utc(2000, 2, 29) },
      { label: 'Feb 28 of a non-leap year', text: '2023-02-28T23:59:59Z', expected: utc(2023, 2, 28, 23, 59, 59) },
      { label: 'Apr 30', text: '2026-04-30T00:00:00Z', expected: utc(2026, 4, 30) },
      { label: 'Dec 31', text: '2026-12-31T00:00:00Z', expected: utc(2026, 12, 31) },
      { label: 'Jan 31', text: '2026-01-31T00:00:00Z', expected: utc(2026, 1, 31) },
    ])('accepts $label: $text', ({ text, expected }) => {
      expect(parseIsoTimestamp(text)).toBe(expected);
    });

    it.each([
      { label: 'Feb 29 of a non-leap year', text: '2023-02-29T00:00:00Z' },
      { label: 'Feb 29 of a century non-leap year', text: '1900-02-29T00:00:00Z' },
      { label: 'Feb 29 of 2100', text: '2100-02-29T00:00:00Z' },
      { label: 'Feb 30', text: '2024-02-30T00:00:00Z' },
      { label: 'Apr 31', text: '2026-04-31T00:00:00Z' },
      { label: 'Jun 31', text: '2026-06-31T00:00:00Z' },
      { label: 'Sep 31', text: '2026-09-31T00:00:00Z' },
      { label: 'Nov 31', text: '2026-11-31T00:00:00Z' },
      { label: 'Jan 32', text: '2026-01-32T00:00:00Z' },
      { label: 'day 00', text: '2026-01-00T00:00:00Z' },
      { label: 'month 00', text: '2026-00-10T00:00:00Z' },
      { label: 'month 13', text: '2026-13-01T00:00:00Z' },
      { label: 'year 0000', text: '0000-01-01T00:00:00Z' },
      { label: 'hour 24', text: '2026-01-31T24:00:00Z' },
      { label: 'hour 25', text: '2026-01-31T25:00:00Z' },
      { label: 'minute 60', text: '2026-01-31T12:60:00Z' },
      { label: 'second 60 (leap second)', text: '2016-12-31T23:59:60Z' },
      { label: 'offset hour 24', text: '2026-01-31T12:00:00+24:00' },
      { label: 'offset minute 60', text: '2026-01-31T12:00:00+05:60' },
    ])('refuses an impossible $label: $text', ({ text }) => {
      expect(parseIsoTimestamp(text)).toBeNull();
    });
  });

  describe('years before 100 are not mapped to the 1900s', () => {
    it.each([
      { text: '0001-01-01T00:00:00Z', year: 1, month: 1, day: 1 },
      { text: '0050-06-15T00:00:00Z', year: 50, month: 6, day: 15 },
      { text: '0099-12-31T00:00:00Z', year: 99, month: 12, day: 31 },
      { text: '0004-02-29T00:00:00Z', year: 4, month: 2, day: 29 },
    ])('$text is year $year', ({ text, year, month, day }) => {
      const ms = parseIsoTimestamp(text);
      expect(ms).toBe(utcSmallYear(year, month, day));
      expect(new Date(ms as number).getUTCFullYear()).toBe(year);
    });

    it('keeps time of day, fraction and offset for a year before 100', () => {
      expect(parseIsoTimestamp('0050-06-15T10:20:30.456+02:00')).toBe(utcSmallYear(50, 6, 15, 8, 20, 30, 456));
    });

    it('refuses Feb 29 of year 0003', () => {
      expect(parseIsoTimestamp('0003-02-29T00:00:00Z')).toBeNull();
    });

    it('year 0100 is not a leap year', () => {
      expect(parseIsoTimestamp('0100-02-29T00:00:00Z')).toBeNull();
    });
  });

  describe('refuses what is not a timestamp with an offset', () => {
    it.each([
      { label: 'missing offset', text: '2026-01-31T12:00:00' },
      { label: 'missing offset with fraction', text: '2026-01-31T12:00:00.123' },
      { label: 'date only', text: '2026-01-31' },
      { label: 'date with Z only', text: '2026-01-31Z' },
      { label: 'time only', text: '12:00:00Z' },
      { label: 'empty', text: '' },
      { label: 'blank', text: '   ' },
      { label: 'leading space', text: ' 2026-01-31T12:00:00Z' },
      { label: 'trailing space', text: '2026-01-31T12:00:00Z ' },
      { label: 'trailing newline', text: '2026-01-31T12:00:00Z\n' },
      { label: 'epoch digits as text', text: '1769860800000' },
      { label: 'RFC 2822', text: 'Sat, 31 Jan 2026 12:00:00 GMT' },
      { label: 'slashes', text: '2026/01/31T12:00:00Z' },
      { label: 'basic format without dashes', text: '20260131T120000Z' },
      { label: 'one-digit month', text: '2026-1-31T12:00:00Z' },
      { label: 'one-digit hour', text: '2026-01-31T1:00:00Z' },
      { label: 'five-digit year', text: '12026-01-31T12:00:00Z' },
      { label: 'negative year', text: '-2026-01-31T12:00:00Z' },
      { label: 'expanded year', text: '+002026-01-31T12:00:00Z' },
      { label: 'three-digit offset', text: '2026-01-31T12:00:00+053' },
      { label: 'one-digit offset', text: '2026-01-31T12:00:00+5' },
      { label: 'offset with seconds', text: '2026-01-31T12:00:00+05:30:00' },
      { label: 'dangling colon in offset', text: '2026-01-31T12:00:00+05:' },
      { label: 'named zone', text: '2026-01-31T12:00:00 UTC' },
      { label: 'bracketed zone', text: '2026-01-31T12:00:00Z[Europe/Paris]' },
      { label: 'Z and offset', text: '2026-01-31T12:00:00Z+01:00' },
      { label: 'double T', text: '2026-01-31TT12:00:00Z' },
      { label: 'full-width digits', text: '２０２６-01-31T12:00:00Z' },
      { label: 'word', text: 'yesterday' },
      { label: 'the string "null"', text: 'null' },
      { label: 'a timestamp followed by 10 000 zeros', text: '2026-01-31T12:00:00Z'.padEnd(10_020, '0') },
    ])('$label: $text', ({ text }) => {
      expect(parseIsoTimestamp(text)).toBeNull();
    });

    it.each([
      { label: 'epoch milliseconds', value: 1_769_860_800_000 },
      { label: 'epoch seconds', value: 1_769_860_800 },
      { label: 'zero', value: 0 },
      { label: 'NaN', value: Number.NaN },
      { label: 'null', value: null },
      { label: 'undefined', value: undefined },
      { label: 'boolean', value: true },
      { label: 'Date object', value: new Date('2026-01-31T12:00:00Z') },
      { label: 'object', value: { iso: '2026-01-31T12:00:00Z' } },
      { label: 'array', value: ['2026-01-31T12:00:00Z'] },
      { label: 'String object', value: Object('2026-01-31T12:00:00Z') as unknown },
    ])('non-string $label', ({ value }) => {
      expect(parseIsoTimestamp(value)).toBeNull();
    });
  });

  it('accepts a 35-character timestamp with 9 fraction digits and an offset', () => {
    const text = '2026-01-31T12:00:00.123456789+05:30';
    expect(text).toHaveLength(35);
    expect(parseIsoTimestamp(text)).toBe(utc(2026, 1, 31, 12, 0, 0, 123) - 330 * MINUTE);
  });

  it('the same instant written with different offsets parses to the same number', () => {
    const instants = ['2026-03-01T00:00:00Z', '2026-03-01T05:30:00+05:30', '2026-02-28T19:00:00-05:00', '2026-03-01T01:00:00+0100'].map(parseIsoTimestamp);
    expect(new Set(instants)).toEqual(new Set([utc(2026, 3, 1)]));
  });
});

describe('toIso', () => {
  it.each([
    { ms: 0, expected: '1970-01-01T00:00:00.000Z' },
    { ms: utc(2026, 1, 31, 12, 0, 0, 5), expected: '2026-01-31T12:00:00.005Z' },
    { ms: -1, expected: '1969-12-31T23:59:59.999Z' },
  ])('$ms → $expected', ({ ms, expected }) => {
    expect(toIso(ms)).toBe(expected);
  });

  it.each(['2026-01-31T12:00:00.123Z', '2024-02-29T23:59:59.999Z', '1999-12-31T00:00:00.000Z'])('round-trips %s through parseIsoTimestamp', (text) => {
    expect(toIso(parseIsoTimestamp(text) as number)).toBe(text);
  });
});
