import { and, eq, or, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import { anyOf, recordset } from './bulk';
import { createDb, type Connection } from './client';
import { canonicalEvents, consentRecords, duplicates, eventIds, identities, identityLinks, lineage, operations, receipts, rejectedEvents, sessions } from './schema';

/** One id of an erasure's subject. */
export interface SubjectId {
  kind: 'user' | 'anonymous';
  id: string;
}

/**
 * Every id of the person this id belongs to (`kind` may be `person`, naming
 * the person itself); none when the project knows no such identity.
 */
export async function personIdentities(connection: Connection, projectId: string, target: { kind: string; id: string }): Promise<SubjectId[]> {
  const i = alias(identities, 'i');
  return createDb(connection)
    .select({ kind: identities.kind, id: identities.id })
    .from(identities)
    .where(
      and(
        eq(identities.projectId, projectId),
        sql`${identities.personId} IN (
          SELECT ${i.personId} FROM ${identities} AS ${i} WHERE ${i.projectId} = ${projectId} AND ${i.kind} = ${target.kind} AND ${i.id} = ${target.id}
          UNION SELECT ${target.id}::text WHERE ${target.kind}::text = 'person')`,
      ),
    );
}

/** Keeps an erasure's resolved ids in its operation's cursor (until it finishes) and counts them as its total. */
export async function recordErasureIds(connection: Connection, operationId: string, ids: readonly SubjectId[]): Promise<void> {
  await createDb(connection)
    .update(operations)
    .set({ cursor: sql`jsonb_set(${operations.cursor}, '{ids}', ${JSON.stringify(ids)}::jsonb)`, total: ids.length })
    .where(eq(operations.id, operationId));
}

const idsOfKind = (ids: readonly SubjectId[], kind: SubjectId['kind']) => ids.filter((i) => i.kind === kind).map((i) => i.id);

/** Where a subject's data is: its canonical events, rejected messages, and the lineage and duplicates of its events. */
export async function subjectRecords(connection: Connection, projectId: string, ids: readonly SubjectId[]) {
  const db = createDb(connection);
  const [users, anonymous] = [idsOfKind(ids, 'user'), idsOfKind(ids, 'anonymous')];
  const events = await db
    .select({ eventId: canonicalEvents.eventId, sourceStream: canonicalEvents.sourceStream, sourceSequence: canonicalEvents.sourceSequence })
    .from(canonicalEvents)
    .where(and(eq(canonicalEvents.projectId, projectId), or(anyOf(canonicalEvents.userId, users), anyOf(canonicalEvents.anonymousId, anonymous))));
  const rejected = await db
    .select({ id: rejectedEvents.id, sourceStream: rejectedEvents.sourceStream, sourceSequence: rejectedEvents.sourceSequence })
    .from(rejectedEvents)
    .where(
      and(
        eq(rejectedEvents.projectId, projectId),
        or(sql`${rejectedEvents.payload}->>'userId' = ANY(${sql.param(users)}::text[])`, sql`${rejectedEvents.payload}->>'anonymousId' = ANY(${sql.param(anonymous)}::text[])`),
      ),
    );
  const eventIdList = events.map((e) => e.eventId);
  const lineageRows = await db
    .select({ sourceStream: lineage.sourceStream, sourceSequence: lineage.sourceSequence })
    .from(lineage)
    .where(and(eq(lineage.projectId, projectId), anyOf(lineage.eventId, eventIdList)));
  const duplicateRows = await db
    .select({ sourceStream: duplicates.sourceStream, sourceSequence: duplicates.sourceSequence })
    .from(duplicates)
    .where(and(eq(duplicates.projectId, projectId), anyOf(duplicates.messageId, eventIdList)));
  return { events, rejected, lineage: lineageRows, duplicates: duplicateRows };
}

/**
 * Deletes a subject's data everywhere braid keeps it: its events, their
 * ledger rows, lineage and duplicates, its rejected messages, the receipts
 * of these messages, its devices' sessions, its consent records, identity
 * links and identities. Returns the rows deleted per kind.
 */
export async function deleteSubjectRecords(
  connection: Connection,
  projectId: string,
  ids: readonly SubjectId[],
  found: { eventIds: readonly string[]; rejectedIds: readonly number[]; positions: readonly { sourceStream: string; sourceSequence: number }[] },
) {
  const db = createDb(connection);
  const count = async (statement: Promise<{ rowCount: number | null }>) => (await statement).rowCount ?? 0;
  const x = alias(identities, 'x');
  const subject = () => recordset(x, ['kind', 'id'], ids);
  const r = alias(receipts, 'r');
  const p = alias(receipts, 'p');
  const s = alias(sessions, 's');
  const c = alias(consentRecords, 'c');
  const l = alias(identityLinks, 'l');
  const i = alias(identities, 'i');
  return {
    events: await count(db.delete(canonicalEvents).where(and(eq(canonicalEvents.projectId, projectId), anyOf(canonicalEvents.eventId, found.eventIds)))),
    ledger: await count(db.delete(eventIds).where(and(eq(eventIds.projectId, projectId), anyOf(eventIds.eventId, found.eventIds)))),
    lineage: await count(db.delete(lineage).where(and(eq(lineage.projectId, projectId), anyOf(lineage.eventId, found.eventIds)))),
    duplicates: await count(db.delete(duplicates).where(and(eq(duplicates.projectId, projectId), anyOf(duplicates.messageId, found.eventIds)))),
    rejected: await count(db.delete(rejectedEvents).where(anyOf(rejectedEvents.id, found.rejectedIds))),
    receipts: await count(
      db.execute(sql`DELETE FROM ${receipts} AS ${r} USING ${recordset(p, ['sourceStream', 'sourceSequence'], found.positions)}
        WHERE ${r.sourceStream} = ${p.sourceStream} AND ${r.sourceSequence} = ${p.sourceSequence}`),
    ),
    sessions: await count(
      db.execute(sql`DELETE FROM ${sessions} AS ${s} WHERE ${s.projectId} = ${projectId}
        AND ${s.deviceKey} IN (SELECT CASE ${x.kind} WHEN 'user' THEN 'u:' ELSE 'a:' END || ${x.id} FROM ${subject()})`),
    ),
    consent: await count(
      db.execute(sql`DELETE FROM ${consentRecords} AS ${c} USING ${subject()}
        WHERE ${c.projectId} = ${projectId} AND ${c.kind} = ${x.kind} AND ${c.subjectId} = ${x.id}`),
    ),
    identityLinks: await count(
      db.execute(sql`DELETE FROM ${identityLinks} AS ${l} USING ${subject()}
        WHERE ${l.projectId} = ${projectId} AND ((${l.aKind} = ${x.kind} AND ${l.aId} = ${x.id}) OR (${l.bKind} = ${x.kind} AND ${l.bId} = ${x.id}))`),
    ),
    identities: await count(
      db.execute(sql`DELETE FROM ${identities} AS ${i} USING ${subject()}
        WHERE ${i.projectId} = ${projectId} AND ${i.kind} = ${x.kind} AND ${i.id} = ${x.id}`),
    ),
  };
}
