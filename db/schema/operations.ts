import { bigint, index, jsonb, text, timestamp } from 'drizzle-orm/pg-core';
import { braid } from './braid-schema';

/**
 * Long-running operator work (replays, backfills, erasures): parameters, the
 * checkpoint position, counts and status. A chunk's effects and the advance
 * of its checkpoint commit in one transaction, so a resumed run neither skips
 * nor doubles.
 */
export const operations = braid.table(
  'operations',
  {
    id: text().primaryKey(),
    kind: text().$type<'replay' | 'backfill' | 'erasure'>().notNull(),
    projectId: text().notNull(),
    status: text().$type<'pending' | 'running' | 'paused' | 'completed' | 'failed' | 'cancelled'>().notNull(),
    params: jsonb().notNull(),
    position: bigint({ mode: 'number' }).notNull().default(0),
    /** Where to read next besides the position, e.g. a backfill file's byte offset. */
    cursor: jsonb().$type<Record<string, unknown>>().notNull().default({}),
    total: bigint({ mode: 'number' }),
    counts: jsonb().$type<Record<string, number>>().notNull(),
    error: text(),
    workflowId: text().notNull(),
    requestedBy: text(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp({ withTimezone: true }),
  },
  (t) => [index().on(t.projectId, t.kind, t.createdAt)],
);
