import { index, text, timestamp } from 'drizzle-orm/pg-core';
import { braid } from './braid-schema';

/** Write keys: each belongs to one project and one channel; only a SHA-256 of each key is kept. */
export const writeKeys = braid.table(
  'write_keys',
  {
    keyId: text().primaryKey(),
    projectId: text().notNull(),
    channel: text().notNull(),
    keyHash: text().notNull().unique(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    revokedAt: timestamp({ withTimezone: true }),
  },
  (t) => [index().on(t.projectId, t.channel)],
);
