import { bigint, bigserial, index, integer, jsonb, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { braid } from './braid-schema';

/** One row per rejected message, with its stable reason and what a sender needs to fix it. */
export const rejectedEvents = braid.table(
  'rejected_events',
  {
    id: bigserial({ mode: 'number' }).primaryKey(),
    projectId: text(),
    channel: text(),
    subject: text(),
    receivedAt: timestamp({ withTimezone: true }).notNull(),
    messageId: text(),
    reason: text().notNull(),
    details: jsonb().notNull(),
    payload: jsonb(),
    sourceStream: text().notNull(),
    sourceSequence: bigint({ mode: 'number' }).notNull(),
    rejectedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    /** Set when a replay under fixed rules turned this message into a canonical event. */
    resolvedAt: timestamp({ withTimezone: true }),
    resolvedBy: text(),
    /** What data-quality reporting needs of a rejection, without its payload: the event's name, time and the rules it broke. */
    eventName: text(),
    eventTime: timestamp({ withTimezone: true }),
    rules: text().array(),
    /** The project rules version that rejected it (null before the project was known, and before 0031). */
    rulesVersion: integer(),
    /** The device it came from, when it named one (null before 0031). */
    deviceKey: text(),
  },
  (t) => [uniqueIndex().on(t.sourceStream, t.sourceSequence), index().on(t.projectId, t.receivedAt)],
);
