import { bigint, index, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import { braid } from './braid-schema';

/**
 * One row per accepted message, keyed by where it came from (stream and
 * sequence, or backfill and line). The left side of the accounting identity:
 * accepted = canonical + rejected + suppressed + duplicates.
 */
export const receipts = braid.table(
  'receipts',
  {
    sourceStream: text().notNull(),
    sourceSequence: bigint({ mode: 'number' }).notNull(),
    projectId: text(),
    channel: text(),
    receivedAt: timestamp({ withTimezone: true }).notNull(),
    recordedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.sourceStream, t.sourceSequence] }), index().on(t.projectId, t.receivedAt)],
);
