import { sql } from 'drizzle-orm';
import { index, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { braid } from './braid-schema';

/**
 * The identity graph's edges, each with its cause: the rule, the event that
 * asked for it, when. A person is a connected set of identities under the
 * active links; an unmerge marks links undone. Refused links are kept too
 * (once per pair and reason), so every decision can be explained.
 */
export const identityLinks = braid.table(
  'identity_links',
  {
    linkId: text().primaryKey(),
    projectId: text().notNull(),
    aKind: text().notNull(),
    aId: text().notNull(),
    bKind: text().notNull(),
    bId: text().notNull(),
    rule: text().notNull(),
    eventId: text(),
    status: text().$type<'active' | 'undone' | 'refused'>().notNull(),
    reason: text(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    createdBy: text(),
    undoneAt: timestamp({ withTimezone: true }),
    undoneBy: text(),
  },
  (t) => [
    index().on(t.projectId, t.aKind, t.aId),
    index().on(t.projectId, t.bKind, t.bId),
    uniqueIndex('identity_links_refused_once').on(t.projectId, t.aKind, t.aId, t.bKind, t.bId, t.reason).where(sql`${t.status} = 'refused'`),
  ],
);
