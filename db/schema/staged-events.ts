import { sql } from 'drizzle-orm';
import { bigint, index, jsonb, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import type { PreparedEvent } from '../../rules/prepared-event';
import { braid } from './braid-schema';

/**
 * Accepted events waiting for their device actor (the claim check): ingest
 * stages them here and signals the host workflow only a notice; the host's
 * drain reads them in batches, writes them and deletes them in one
 * transaction. Opt-in events whose consent is not known yet stay here, held
 * until `hold_until`, so nothing that grows lives in workflow state.
 */
export const stagedEvents = braid.table(
  'staged_events',
  {
    sourceStream: text().notNull(),
    sourceSequence: bigint({ mode: 'number' }).notNull(),
    projectId: text().notNull(),
    /** The host (or per-device) workflow that drains this row. */
    hostId: text().notNull(),
    channel: text().notNull(),
    deviceKey: text().notNull(),
    event: jsonb().$type<PreparedEvent>().notNull(),
    holdUntil: timestamp({ withTimezone: true, precision: 3 }),
    stagedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.sourceStream, t.sourceSequence] }),
    index().on(t.hostId, t.sourceSequence),
    index('staged_events_held').on(t.hostId, t.holdUntil).where(sql`${t.holdUntil} IS NOT NULL`),
    index().on(t.projectId, t.channel, t.deviceKey),
  ],
);
