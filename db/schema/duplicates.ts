import { bigint, index, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import { braid } from './braid-schema';

/** One row per message whose messageId the project had already written: counted, not stored again. */
export const duplicates = braid.table(
  'duplicates',
  {
    sourceStream: text().notNull(),
    sourceSequence: bigint({ mode: 'number' }).notNull(),
    projectId: text().notNull(),
    channel: text().notNull(),
    messageId: text().notNull(),
    /** The device the duplicate came from (for a device's counts); null before 0015. */
    deviceKey: text(),
    receivedAt: timestamp({ withTimezone: true }).notNull(),
    detectedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.sourceStream, t.sourceSequence] }), index().on(t.projectId, t.receivedAt), index().on(t.projectId, t.channel, t.deviceKey)],
);
