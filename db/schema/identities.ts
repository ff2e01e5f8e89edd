import { index, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import { braid } from './braid-schema';

/** Every user and anonymous id seen per project, and the person it belongs to now. */
export const identities = braid.table(
  'identities',
  {
    projectId: text().notNull(),
    kind: text().$type<'user' | 'anonymous'>().notNull(),
    id: text().notNull(),
    personId: text().notNull(),
    firstSeenAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.kind, t.id] }), index().on(t.projectId, t.personId)],
);
