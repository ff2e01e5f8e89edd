import { index, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import { braid } from './braid-schema';

/**
 * Which projects each analyst role may read. Row-level security on braid's
 * tables lets a member of `braid_analyst` see a project's rows only when a
 * role it belongs to has a grant here (`braid analyst grant <role> <project>`).
 */
export const analystGrants = braid.table(
  'analyst_grants',
  {
    roleName: text().notNull(),
    projectId: text().notNull(),
    grantedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    grantedBy: text(),
  },
  (t) => [primaryKey({ columns: [t.roleName, t.projectId] }), index().on(t.projectId)],
);
