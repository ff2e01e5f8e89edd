import { z } from 'zod';

/**
 * What analysts ask the API (`GET /api/projects/:p/analysis/*`): the query
 * strings of the funnel, time-to-convert, adoption, retention and active
 * persons figures. Times are ISO-8601 with an offset; ranges are half-open
 * `[from, to)` like the analytics functions'; a conversion window is a
 * count and a unit (`30m`, `1h`, `7d`, `2w`).
 */

/** How a funnel is split: by the channel, platform, app version or region of the event at which a person reached each step. */
export const BREAKDOWNS = ['channel', 'platform', 'app_version', 'region'] as const;
export type Breakdown = (typeof BREAKDOWNS)[number];

const DURATION = /^([1-9]\d{0,4})(s|m|h|d|w)$/;
const UNITS = { s: ['second', 1], m: ['minute', 60], h: ['hour', 3600], d: ['day', 86_400], w: ['week', 604_800] } as const;

/** A duration as `30m`, `1h`, `7d`, `2w`: its seconds and its Postgres interval text, or null. Pure. */
export function parseDuration(text: string): { seconds: number; interval: string } | null {
  const m = DURATION.exec(text);
  if (!m) return null;
  const n = Number(m[1]);
  const [unit, seconds] = UNITS[m[2] as keyof typeof UNITS];
  return { seconds: n * seconds, interval: `${n} ${unit}${n === 1 ? '' : 's'}` };
}

const MAX_WINDOW_SECONDS = 90 * 86_400;
const MAX_RANGE_MS = 366 * 86_400_000;

const isoTime = z.iso.datetime({ offset: true, message: 'an ISO-8601 time with an offset, e.g. 2026-01-31T00:00:00Z' });
const eventName = z.string().min(1, 'an event name').max(200);

/** A conversion window: `30m`, `1h`, `7d`, `2w`, at most 90 days. */
export const conversionWindow = z
  .string()
  .refine((w) => parseDuration(w) !== null, 'a duration such as 30m, 1h, 7d or 2w')
  .refine((w) => (parseDuration(w)?.seconds ?? 0) <= MAX_WINDOW_SECONDS, 'at most 90 days')
  .transform((w) => parseDuration(w) as { seconds: number; interval: string });

/** `steps=A&steps=B…`: a repeated query parameter is an array, a single one a string. */
export const stepList = z
  .union([eventName, z.array(eventName)])
  .transform((v) => (Array.isArray(v) ? v : [v]))
  .pipe(z.array(eventName).min(2, 'between 2 and 10 event names (repeat steps=…)').max(10, 'between 2 and 10 event names'));

export const INTERVALS = ['day', 'week'] as const;
export type BucketInterval = (typeof INTERVALS)[number];

/** A query's period fields (the generic object types of period() do not name them). */
const fields = (q: unknown) => q as { from: string; to: string; interval: BucketInterval };

/** `[from, to)` with from before to and at most 366 days long; the message names `from` or `to`. */
function period<T extends z.ZodRawShape>(shape: T) {
  return z
    .object({ from: isoTime, to: isoTime, ...shape })
    .refine((q) => Date.parse(fields(q).from) < Date.parse(fields(q).to), { message: '`from` must be before `to`', path: ['from'] })
    .refine((q) => Date.parse(fields(q).to) - Date.parse(fields(q).from) <= MAX_RANGE_MS, { message: 'the period is at most 366 days', path: ['to'] });
}

export const funnelQuerySchema = period({
  steps: stepList,
  window: conversionWindow.prefault('1d'),
  breakdown: z.enum(BREAKDOWNS).optional(),
});

export const timeToConvertQuerySchema = period({ fromEvent: eventName, toEvent: eventName, window: conversionWindow.prefault('1d') });

const BUCKET_MS: Record<BucketInterval, number> = { day: 86_400_000, week: 7 * 86_400_000 };
/** At most this many days or weeks in one chart. */
const MAX_BUCKETS = 120;

/** `[from, to)` in days or weeks, at most 120 of them. */
function bucketedPeriod<T extends z.ZodRawShape>(shape: T, interval: z.ZodType<BucketInterval>) {
  return period({ interval, ...shape }).refine((q) => (Date.parse(fields(q).to) - Date.parse(fields(q).from)) / BUCKET_MS[fields(q).interval] <= MAX_BUCKETS, {
    message: `at most ${MAX_BUCKETS} days or weeks: a shorter period or a longer interval`,
    path: ['interval'],
  });
}

export const adoptionQuerySchema = bucketedPeriod({ event: eventName }, z.enum(INTERVALS).default('week'));

export const activePersonsQuerySchema = bucketedPeriod({}, z.enum(INTERVALS).default('day'));

/** Weekly cohorts of persons first seen in `[from, to)`, and their share active in weeks 1..weeks after. */
export const retentionQuerySchema = period({ weeks: z.coerce.number().int().min(1).max(26).default(8) });

export const eventNamesQuerySchema = z.object({ days: z.coerce.number().int().min(1).max(366).default(30) });

export type FunnelQuery = z.output<typeof funnelQuerySchema>;
export type TimeToConvertQuery = z.output<typeof timeToConvertQuerySchema>;
export type AdoptionQuery = z.output<typeof adoptionQuerySchema>;
export type ActivePersonsQuery = z.output<typeof activePersonsQuerySchema>;
export type RetentionQuery = z.output<typeof retentionQuerySchema>;
