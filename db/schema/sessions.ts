import { index, integer, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import { braid } from './braid-schema';

/** The columns of sessions, braid's and each sandbox replay's copy (db/write-tables.ts). */
export const sessionsColumns = () => ({
  projectId: text().notNull(),
  sessionId: text().notNull(),
  channel: text().notNull(),
  deviceKey: text().notNull(),
  clientSessionId: text(),
  startedAt: timestamp({ withTimezone: true, precision: 3 }).notNull(),
  endedAt: timestamp({ withTimezone: true, precision: 3 }).notNull(),
  eventCount: integer().notNull(),
  updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
});

/** Sessions on event time per device; maintained in the same transaction as the events they hold. */
export const sessions = braid.table(
  'sessions',
  sessionsColumns(),
  (t) => [primaryKey({ columns: [t.projectId, t.sessionId] }), index().on(t.projectId, t.channel, t.deviceKey, t.endedAt)],
);
