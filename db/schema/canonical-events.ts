import { bigint, index, jsonb, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import { braid } from './braid-schema';

/** The columns of canonical_events, braid's and each sandbox replay's copy (db/write-tables.ts). */
export const canonicalEventsColumns = () => ({
  projectId: text().notNull(),
  eventId: text().notNull(),
  channel: text().notNull(),
  type: text().notNull(),
  event: text(),
  name: text(),
  userId: text(),
  anonymousId: text(),
  previousId: text(),
  groupId: text(),
  deviceKey: text().notNull(),
  sessionId: text(),
  clientSessionId: text(),
  eventTime: timestamp({ withTimezone: true }).notNull(),
  clientTimestamp: text(),
  sentAt: text(),
  receivedAt: timestamp({ withTimezone: true }).notNull(),
  writtenAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  properties: jsonb().notNull(),
  traits: jsonb().notNull(),
  context: jsonb().notNull(),
  flags: jsonb().$type<string[]>().notNull().default([]),
  sourceStream: text().notNull(),
  sourceSequence: bigint({ mode: 'number' }).notNull(),
});

/**
 * One row per canonical event; `eventId` is the event's messageId, unique per
 * project for ever (enforced by braid.event_ids). Partitioned by month of
 * event time (custom SQL in migrations; partitions are created ahead by
 * braid.ensure_event_partitions), hence the event time in the key.
 */
export const canonicalEvents = braid.table(
  'canonical_events',
  canonicalEventsColumns(),
  (t) => [
    primaryKey({ columns: [t.projectId, t.eventId, t.eventTime] }),
    index().on(t.projectId, t.eventTime),
    index().on(t.projectId, t.userId),
    index().on(t.projectId, t.anonymousId),
    index().on(t.projectId, t.channel, t.deviceKey, t.eventTime),
    index().on(t.projectId, t.sessionId),
  ],
);
