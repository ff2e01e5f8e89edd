import { sql } from 'drizzle-orm';
import { bigint, bigserial, index, integer, jsonb, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import type { Transform } from '../../rules/transforms';
import { braid } from './braid-schema';

/** The columns of lineage, braid's and each sandbox replay's copy (db/write-tables.ts). */
export const lineageColumns = () => ({
  id: bigserial({ mode: 'number' }).primaryKey(),
  projectId: text().notNull(),
  eventId: text().notNull(),
  sourceStream: text().notNull(),
  sourceSequence: bigint({ mode: 'number' }).notNull(),
  sourceSubject: text(),
  channel: text().notNull(),
  receivedAt: timestamp({ withTimezone: true }).notNull(),
  transforms: jsonb().$type<Transform[]>().notNull(),
  flags: jsonb().$type<string[]>().notNull().default([]),
  workflowId: text(),
  runId: text(),
  replayId: text(),
  backfillId: text(),
  destination: text().notNull(),
  /** The project's rules version that wrote the event (null for writes before 0016). */
  rulesVersion: integer(),
  writtenAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
});

/** One row per write of an event: its first write and each replay. */
export const lineage = braid.table(
  'lineage',
  lineageColumns(),
  (t) => [
    index().on(t.projectId, t.eventId),
    index().on(t.sourceStream, t.sourceSequence),
    // What was written over a time span (a canary's arms): BRIN, since rows arrive in written_at
    // order, and a summary per block range costs the write path next to nothing.
    index().using('brin', t.writtenAt),
    // A replay writes an event at most once, however often a chunk is retried.
    uniqueIndex('lineage_replay_once').on(t.projectId, t.eventId, t.replayId).where(sql`${t.replayId} IS NOT NULL`),
  ],
);
