import { bigserial, date, index, text, timestamp } from 'drizzle-orm/pg-core';
import { braid } from './braid-schema';

/*
 * What the lake export still has to rewrite. Statement triggers (migration
 * `lake_triggers`) append a row per project and event date a statement
 * touched in canonical_events, and per identity whose person changed, so
 * writers never wait on one another; the export deletes the rows it has
 * written out (lake/export.ts).
 */

/** A (project, UTC event date) partition whose canonical rows changed since it was last exported. */
export const lakeChanges = braid.table(
  'lake_changes',
  {
    seq: bigserial({ mode: 'number' }).primaryKey(),
    projectId: text().notNull(),
    eventDate: date({ mode: 'string' }).notNull(),
  },
  (t) => [index().on(t.projectId, t.eventDate)],
);

/** An identity whose person changed (merge, unmerge, erasure): every partition with its events is rewritten. */
export const lakeIdentityChanges = braid.table(
  'lake_identity_changes',
  {
    seq: bigserial({ mode: 'number' }).primaryKey(),
    projectId: text().notNull(),
    kind: text().notNull(),
    id: text().notNull(),
  },
);

/**
 * The lakes being kept up to date. The triggers record changes only while one
 * is registered, so a deployment without a lake pays nothing; a lake
 * registered later starts with every partition to write.
 */
export const lakeExports = braid.table('lake_exports', {
  lakeUrl: text().primaryKey(),
  registeredAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
});
