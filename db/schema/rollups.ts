import { bigint, index, jsonb, smallint, text, timestamp } from 'drizzle-orm/pg-core';
import { braid } from './braid-schema';

/*
 * Rollups behind analytics.ingestion_health and analytics.data_quality, kept
 * by statement triggers on the tables they count (migration 0019): every
 * statement that inserts, updates or deletes counted rows appends one delta
 * row per key, so concurrent writers never wait on one another; the worker's
 * maintenance loop folds a key's rows into one (braid.compact_rollups()). The
 * views sum a key's rows, so they are exact whether or not it was folded.
 */

/** Messages per project and minute of receipt, by outcome (ingestion_health). */
export const healthCounts = braid.table(
  'health_counts',
  {
    projectId: text().notNull(),
    minute: timestamp({ withTimezone: true }).notNull(),
    received: bigint({ mode: 'number' }).notNull().default(0),
    canonical: bigint({ mode: 'number' }).notNull().default(0),
    rejected: bigint({ mode: 'number' }).notNull().default(0),
    suppressed: bigint({ mode: 'number' }).notNull().default(0),
    duplicates: bigint({ mode: 'number' }).notNull().default(0),
  },
  (t) => [index().on(t.projectId, t.minute)],
);

/**
 * Receive → written latency of first production writes per project and minute
 * of receipt, as a histogram: bucket b holds latencies in (2^((b-1)/8), 2^(b/8)] ms
 * (about 9 % wide), so percentiles are read from buckets instead of every row.
 */
export const healthLatency = braid.table(
  'health_latency',
  {
    projectId: text().notNull(),
    minute: timestamp({ withTimezone: true }).notNull(),
    bucket: smallint().notNull(),
    n: bigint({ mode: 'number' }).notNull(),
  },
  (t) => [index().on(t.projectId, t.minute, t.bucket)],
);

/** Written and blocked events per project, channel, event name and hour of event time (data_quality). */
export const qualityCounts = braid.table(
  'quality_counts',
  {
    projectId: text().notNull(),
    channel: text().notNull(),
    event: text().notNull(),
    hour: timestamp({ withTimezone: true }).notNull(),
    volume: bigint({ mode: 'number' }).notNull().default(0),
    nullUserId: bigint({ mode: 'number' }).notNull().default(0),
    nullAnonymousId: bigint({ mode: 'number' }).notNull().default(0),
    unplannedEvent: bigint({ mode: 'number' }).notNull().default(0),
    unplannedProperty: bigint({ mode: 'number' }).notNull().default(0),
    namingViolation: bigint({ mode: 'number' }).notNull().default(0),
    schemaViolation: bigint({ mode: 'number' }).notNull().default(0),
    currencyViolation: bigint({ mode: 'number' }).notNull().default(0),
    blocked: bigint({ mode: 'number' }).notNull().default(0),
    blockedUnplannedEvent: bigint({ mode: 'number' }).notNull().default(0),
    blockedUnplannedProperty: bigint({ mode: 'number' }).notNull().default(0),
    blockedNamingViolation: bigint({ mode: 'number' }).notNull().default(0),
    blockedSchemaViolation: bigint({ mode: 'number' }).notNull().default(0),
    blockedCurrencyViolation: bigint({ mode: 'number' }).notNull().default(0),
    /** Written events per top-level property that carried it with a value other than null (`{ "<name>": n }`). */
    propertyPresent: jsonb().$type<Record<string, number>>().notNull().default({}),
  },
  (t) => [index().on(t.projectId, t.channel, t.event, t.hour), index().on(t.projectId, t.hour)],
);
