import type pg from 'pg';
import type { Rejection } from '../rules/decode-message';

type Queryable = Pick<pg.PoolClient, 'query'>;

/**
 * Records rejected messages, one row per source position: a message rejected
 * again after a redelivery keeps its first row. Returns how many rows are new.
 */
export async function insertRejections(db: Queryable, rejections: readonly Rejection[]): Promise<number> {
  if (rejections.length === 0) return 0;
  const rows = rejections.map((r) => ({
    ...summary(r),
    project_id: r.projectId,
    channel: r.channel,
    subject: r.subject,
    received_at: r.receivedAt,
    message_id: r.messageId,
    reason: r.reason,
    details: r.details,
    payload: r.payload ?? null,
    source_stream: r.source.stream,
    source_sequence: r.source.sequence,
  }));
  const res = await db.query(
    `INSERT INTO braid.rejected_events
       (project_id, channel, subject, received_at, message_id, reason, details, payload, source_stream, source_sequence, event_name, event_time, rules)
     SELECT project_id, channel, subject, received_at, message_id, reason, details, payload, source_stream, source_sequence, event_name, event_time, rules
     FROM jsonb_to_recordset($1::jsonb) AS x(project_id text, channel text, subject text, received_at timestamptz,
       message_id text, reason text, details jsonb, payload jsonb, source_stream text, source_sequence bigint,
       event_name text, event_time timestamptz, rules text[])
     ORDER BY source_stream, source_sequence
     ON CONFLICT (source_stream, source_sequence) DO NOTHING`,
    [JSON.stringify(rows)],
  );
  return res.rowCount ?? 0;
}

/** What data-quality reporting reads of a rejection, without its payload: event name, event time, broken rules. */
function summary(r: Rejection): { event_name: string | null; event_time: string | null; rules: string[] } {
  const payload = typeof r.payload === 'object' && r.payload !== null ? (r.payload as Record<string, unknown>) : {};
  const text = (v: unknown) => (typeof v === 'string' ? v : null);
  const type = text(payload.type);
  const eventTime = text(r.details.eventTime);
  const violations = Array.isArray(r.details.violations) ? (r.details.violations as { rule?: unknown }[]) : [];
  return {
    event_name: text(payload.event) ?? text(payload.name) ?? (type ? `$${type}` : null),
    event_time: eventTime && !Number.isNaN(Date.parse(eventTime)) ? eventTime : null,
    rules: [...new Set([r.reason, ...violations.map((v) => v.rule).filter((x): x is string => typeof x === 'string')])],
  };
}
