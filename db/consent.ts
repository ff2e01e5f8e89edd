import { sql } from 'drizzle-orm';
import pg from 'pg';
import type { IdentityKind } from '../rules/identity-graph';
import { createDb, type Connection, type Db } from './client';
import { consentRecords } from './schema';

/** One consent decision of one identity for one category. */
export interface ConsentRecordInput {
  projectId: string;
  kind: IdentityKind;
  subjectId: string;
  category: string;
  granted: boolean;
  /** When it takes effect (ISO-8601; an event's consent takes effect at its event time). */
  effectiveAt: string;
  /** `event`: carried by an event (`context.consent`); `api`: set through the operator API. */
  source: 'event' | 'api';
  /** The event that carried it; null for the API's. */
  eventId: string | null;
}

// 8 parameters a row; Postgres takes 65,535 a statement.
const ROWS_PER_INSERT = 4_000;

/**
 * Records consent decisions, each once: an event's consent is recorded once
 * however often its write is retried (index consent_records_once). Returns
 * how many were new. On a pool, more rows than one statement takes go in one
 * transaction; on a client, in the caller's.
 */
export async function recordConsent(connection: Connection, records: readonly ConsentRecordInput[]): Promise<number> {
  if (records.length === 0) return 0;
  const db = createDb(connection);
  const insertAll = async (target: Pick<Db, 'insert'>) => {
    let recorded = 0;
    for (let i = 0; i < records.length; i += ROWS_PER_INSERT) {
      const rows = records.slice(i, i + ROWS_PER_INSERT).map((r) => ({ ...r, effectiveAt: sql`${r.effectiveAt}::timestamptz` }));
      const res = await target.insert(consentRecords).values(rows).onConflictDoNothing();
      recorded += res.rowCount ?? 0;
    }
    return recorded;
  };
  return records.length > ROWS_PER_INSERT && connection instanceof pg.Pool ? db.transaction(insertAll) : insertAll(db);
}
