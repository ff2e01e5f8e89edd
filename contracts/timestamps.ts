/**
 * ISO-8601 timestamps as the contract takes them: a calendar date, a time and
 * an offset (`Z` or `±hh:mm`). Anything else — epoch numbers, dates without a
 * time, times without an offset, impossible dates such as 2024-02-30 — is not
 * a timestamp. Pure.
 */
const ISO_WITH_OFFSET =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|z|[+-]\d{2}(?::?\d{2})?)$/;

/** Epoch milliseconds, or null when `text` is not an ISO-8601 timestamp with an offset. */
export function parseIsoTimestamp(text: unknown): number | null {
  if (typeof text !== 'string' || text.length > 40) return null;
  const m = ISO_WITH_OFFSET.exec(text);
  if (!m) return null;
  const [year, month, day, hour, minute] = [m[1], m[2], m[3], m[4], m[5]].map(Number) as [number, number, number, number, number];
  const second = m[6] === undefined ? 0 : Number(m[6]);
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  if (hour > 23 || minute > 59 || second > 59) return null;
  const millis = m[7] === undefined ? 0 : Number(m[7].padEnd(3, '0').slice(0, 3));
  const offsetMinutes = parseOffset(m[8] as string);
  if (offsetMinutes === null) return null;
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  // Date.UTC maps years 0-99 to 1900-1999; correct for those explicitly.
  const corrected = year < 100 ? new Date(utc).setUTCFullYear(year) : utc;
  return corrected - offsetMinutes * 60_000;
}

function parseOffset(text: string): number | null {
  if (text === 'Z' || text === 'z') return 0;
  const sign = text.startsWith('-') ? -1 : 1;
  const digits = text.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
  if (hours > 23 || minutes > 59) return null;
  return sign * (hours * 60 + minutes);
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

export function toIso(epochMs: number): string {
  return new Date(epochMs).toISOString();
}
