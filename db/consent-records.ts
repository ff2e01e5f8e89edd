import { sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import { columnList, columnsExcept, qualifiedList, recordset, type RecordsetRow } from './bulk';
import { createDb, type Connection } from './client';
import { consentRecords, identities } from './schema';
import { parseTimestamptz } from './timestamps';

const CONSENT_KEYS = columnsExcept(consentRecords, ['recordId', 'recordedAt']);
/**
 * One consent decision of one identity for one category: `source` `event`
 * (carried by an event, effective at its event time, `eventId` set) or `api`
 * (POST /api/consent, `eventId` null).
 */
export type ConsentRow = RecordsetRow<typeof consentRecords, (typeof CONSENT_KEYS)[number]>;

/**
 * Records consent decisions, the one insert for events and the API: an
 * event's consent once however often its write is retried (index
 * consent_records_once). Returns how many rows are new.
 */
export async function insertConsentRecords(connection: Connection, rows: readonly ConsentRow[]): Promise<number> {
  if (rows.length === 0) return 0;
  const x = alias(consentRecords, 'x');
  const res = await createDb(connection).execute(sql`
    INSERT INTO ${consentRecords} (${columnList(consentRecords, CONSENT_KEYS)})
    SELECT ${qualifiedList(x, CONSENT_KEYS)} FROM ${recordset(x, CONSENT_KEYS, rows)}
    ON CONFLICT DO NOTHING`);
  return res.rowCount ?? 0;
}

/** An identity whose consent is asked for. */
export interface ConsentSubject {
  projectId: string;
  kind: string;
  id: string;
}

export interface SubjectConsent {
  projectId: string;
  /** `<kind>:<id>` of the subject asked for. */
  key: string;
  category: string;
  granted: boolean;
  effectiveAt: Date;
}

/**
 * The consent records that apply to each subject: those of every identity of
 * the person it belongs to (consent given on one device covers the person),
 * and its own.
 */
export async function consentOfSubjects(connection: Connection, subjects: readonly ConsentSubject[]): Promise<SubjectConsent[]> {
  if (subjects.length === 0) return [];
  const x = alias(identities, 'x');
  const w = alias(identities, 'w');
  const i = alias(identities, 'i');
  const p = alias(identities, 'p');
  const s = alias(identities, 's');
  const c = alias(consentRecords, 'c');
  const res = await createDb(connection).execute<{ project_id: string; key: string; category: string; granted: boolean; effective_at: string }>(sql`
    WITH wanted AS (SELECT DISTINCT * FROM ${recordset(x, ['projectId', 'kind', 'id'], subjects as readonly { projectId: string; kind: 'user' | 'anonymous'; id: string }[])}),
    persons AS (
      SELECT ${w.projectId}, ${w.kind} || ':' || ${w.id} AS key, ${i.personId} FROM wanted AS ${w}
      LEFT JOIN ${identities} AS ${i} ON ${i.projectId} = ${w.projectId} AND ${i.kind} = ${w.kind} AND ${i.id} = ${w.id}
    ),
    subjects AS (
      SELECT ${p.projectId}, p.key, ${w.kind}, ${w.id} FROM persons AS ${p} JOIN wanted AS ${w} ON ${w.projectId} = ${p.projectId} AND ${w.kind} || ':' || ${w.id} = p.key
      UNION
      SELECT ${p.projectId}, p.key, ${i.kind}, ${i.id} FROM persons AS ${p} JOIN ${identities} AS ${i} ON ${i.projectId} = ${p.projectId} AND ${i.personId} = ${p.personId}
    )
    SELECT ${s.projectId}, s.key, ${c.category}, ${c.granted}, ${c.effectiveAt} FROM subjects AS ${s}
    JOIN ${consentRecords} AS ${c} ON ${c.projectId} = ${s.projectId} AND ${c.kind} = ${s.kind} AND ${c.subjectId} = ${s.id}`);
  return res.rows.map((r) => ({ projectId: r.project_id, key: r.key, category: r.category, granted: r.granted, effectiveAt: parseTimestamptz(r.effective_at) }));
}
