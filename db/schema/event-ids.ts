import { bigint, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import { braid } from './braid-schema';

/** The columns of event_ids, braid's and each sandbox replay's copy (db/write-tables.ts). */
export const eventIdsColumns = () => ({
  projectId: text().notNull(),
  eventId: text().notNull(),
  eventTime: timestamp({ withTimezone: true }).notNull(),
  sourceStream: text().notNull(),
  sourceSequence: bigint({ mode: 'number' }).notNull(),
});

/**
 * The idempotency ledger: one row per canonical event, keyed by (project,
 * messageId) for ever. canonical_events is partitioned by event time, so it
 * cannot hold that key itself; this small table does, and says where each
 * event came from and which partition holds it.
 */
export const eventIds = braid.table(
  'event_ids',
  eventIdsColumns(),
  (t) => [primaryKey({ columns: [t.projectId, t.eventId] })],
);
