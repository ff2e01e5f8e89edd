import { and, isNull, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { Rejection } from '../rules/decode-message';
import type { EventSource } from '../rules/prepared-event';
import { columnList, columnName, columnsExcept, qualifiedList, recordset, type RecordsetRow } from './bulk';
import { createDb, type Connection } from './client';
import { rejectedEvents } from './schema';

/** What a rejection records: all but the id and what Postgres stamps or a later replay sets. */
const REJECTION_KEYS = columnsExcept(rejectedEvents, ['id', 'rejectedAt', 'resolvedAt', 'resolvedBy']);
type RejectionRow = RecordsetRow<typeof rejectedEvents, (typeof REJECTION_KEYS)[number]>;

/**
 * Records rejected messages, one row per source position: a message rejected
 * again after a redelivery keeps its first row. Returns how many rows are new.
 */
export async function insertRejections(connection: Connection, rejections: readonly Rejection[]): Promise<number> {
  if (rejections.length === 0) return 0;
  const rows: RejectionRow[] = rejections.map((r) => ({
    ...summary(r),
    projectId: r.projectId,
    channel: r.channel,
    subject: r.subject,
    receivedAt: r.receivedAt,
    messageId: r.messageId,
    reason: r.reason,
    details: r.details,
    payload: r.payload ?? null,
    sourceStream: r.source.stream,
    sourceSequence: r.source.sequence,
    rulesVersion: r.rulesVersion ?? null,
    deviceKey: r.deviceKey ?? null,
  }));
  const x = alias(rejectedEvents, 'x');
  const res = await createDb(connection).execute(sql`
    INSERT INTO ${rejectedEvents} (${columnList(rejectedEvents, REJECTION_KEYS)})
    SELECT ${qualifiedList(x, REJECTION_KEYS)} FROM ${recordset(x, REJECTION_KEYS, rows)}
    ORDER BY ${x.sourceStream}, ${x.sourceSequence}
    ON CONFLICT (${columnList(rejectedEvents, ['sourceStream', 'sourceSequence'])}) DO NOTHING`);
  return res.rowCount ?? 0;
}

/** What data-quality reporting reads of a rejection, without its payload: event name, event time, broken rules. */
function summary(r: Rejection): Pick<RejectionRow, 'eventName' | 'eventTime' | 'rules'> {
  const payload = typeof r.payload === 'object' && r.payload !== null ? (r.payload as Record<string, unknown>) : {};
  const text = (v: unknown) => (typeof v === 'string' ? v : null);
  const type = text(payload.type);
  const eventTime = text(r.details.eventTime);
  const violations = Array.isArray(r.details.violations) ? (r.details.violations as { rule?: unknown }[]) : [];
  return {
    eventName: text(payload.event) ?? text(payload.name) ?? (type ? `$${type}` : null),
    eventTime: eventTime && !Number.isNaN(Date.parse(eventTime)) ? eventTime : null,
    rules: [...new Set([r.reason, ...violations.map((v) => v.rule).filter((x): x is string => typeof x === 'string')])],
  };
}

type Position = Pick<EventSource, 'stream' | 'sequence'>;
const POSITION = ['sourceStream', 'sourceSequence'] as const;
const positionRows = (sources: readonly Position[]) => sources.map((s) => ({ sourceStream: s.stream, sourceSequence: s.sequence }));

/** Which of these source positions hold a rejection no replay has resolved yet. */
export async function unresolvedRejections(connection: Connection, sources: readonly Position[]): Promise<Position[]> {
  if (sources.length === 0) return [];
  const r = rejectedEvents;
  const x = alias(rejectedEvents, 'x');
  const rows = await createDb(connection)
    .select({ stream: r.sourceStream, sequence: r.sourceSequence })
    .from(r)
    .innerJoin(sql`${recordset(x, POSITION, positionRows(sources))}`, and(sql`${r.sourceStream} = ${x.sourceStream}`, sql`${r.sourceSequence} = ${x.sourceSequence}`))
    .where(isNull(r.resolvedAt));
  return rows;
}

/** Marks the unresolved rejections of these source positions resolved by a replay that made them canonical. Returns how many it resolved. */
export async function resolveRejections(connection: Connection, sources: readonly Position[], replayId: string): Promise<number> {
  if (sources.length === 0) return 0;
  const r = rejectedEvents;
  const x = alias(rejectedEvents, 'x');
  const res = await createDb(connection).execute(sql`
    UPDATE ${r} SET ${sql.identifier(columnName(r, 'resolvedAt'))} = now(), ${sql.identifier(columnName(r, 'resolvedBy'))} = ${replayId}
    FROM ${recordset(x, POSITION, positionRows(sources))}
    WHERE ${r.sourceStream} = ${x.sourceStream} AND ${r.sourceSequence} = ${x.sourceSequence} AND ${r.resolvedAt} IS NULL`);
  return res.rowCount ?? 0;
}
