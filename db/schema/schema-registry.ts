import { bigserial, index, integer, jsonb, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import type { JsonSchema } from '../../rules/schema-validation';
import { braid } from './braid-schema';

/**
 * Every version of every event schema of a project (MODEL-REVISION-ADDITION).
 * Versions never change once pushed; the current one is the highest.
 */
export const eventSchemas = braid.table(
  'event_schemas',
  {
    id: bigserial({ mode: 'number' }).notNull(),
    projectId: text().notNull(),
    /** A track event's name, or `$identify` / `$group`. */
    eventKey: text().notNull(),
    model: integer().notNull(),
    revision: integer().notNull(),
    addition: integer().notNull(),
    version: text().notNull(),
    schema: jsonb().$type<JsonSchema>().notNull(),
    createdBy: text(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.eventKey, t.model, t.revision, t.addition] })],
);

/** One row per accepted schema change: who, when, what changed. */
export const schemaChangelog = braid.table(
  'schema_changelog',
  {
    id: bigserial({ mode: 'number' }).primaryKey(),
    projectId: text().notNull(),
    eventKey: text().notNull(),
    version: text().notNull(),
    previousVersion: text(),
    /** `initial`, `model`, `revision` or `addition`. */
    change: text().notNull(),
    author: text(),
    changedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    summary: text().notNull(),
    /** Each change: `{ path, change, kind, message }`. */
    diff: jsonb().notNull(),
    comment: text(),
  },
  (t) => [index().on(t.projectId, t.eventKey, t.id)],
);
