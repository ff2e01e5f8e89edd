import { sql } from 'drizzle-orm';
import { createDb, type Connection } from './client';

/** One minute of a project's ingestion, as analytics.ingestion_health has it. */
export interface HealthMinute {
  minute: string;
  received: number;
  written: number;
  rejected: number;
  suppressed: number;
  duplicates: number;
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
  latencyP99Ms: number | null;
}

/** A project's last `minutes` minutes of ingestion health, oldest first. */
export async function recentHealth(connection: Connection, projectId: string, minutes: number): Promise<HealthMinute[]> {
  const res = await createDb(connection).execute<Record<string, unknown>>(sql`
    SELECT minute, received, written, rejected, suppressed, duplicates, latency_p50_ms, latency_p95_ms, latency_p99_ms
    FROM analytics.ingestion_health
    WHERE project_id = ${projectId} AND minute >= date_trunc('minute', now()) - make_interval(mins => ${minutes})
    ORDER BY minute`);
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return res.rows.map((r) => ({
    minute: new Date(r.minute as string).toISOString(),
    received: Number(r.received),
    written: Number(r.written),
    rejected: Number(r.rejected),
    suppressed: Number(r.suppressed),
    duplicates: Number(r.duplicates),
    latencyP50Ms: num(r.latency_p50_ms),
    latencyP95Ms: num(r.latency_p95_ms),
    latencyP99Ms: num(r.latency_p99_ms),
  }));
}

export interface RejectionReasonFigure {
  reason: string;
  count: number;
  /** The newest few of this reason: enough to see what is wrong. */
  samples: { messageId: string | null; channel: string | null; receivedAt: string; details: unknown; sourceSequence: number }[];
}

/** A project's unresolved rejections by reason (most frequent first) with the newest samples of each. */
export async function rejectionsByReason(connection: Connection, projectId: string, samplesPerReason = 3): Promise<RejectionReasonFigure[]> {
  const res = await createDb(connection).execute<{ reason: string; count: string; samples: RejectionReasonFigure['samples'] }>(sql`
    SELECT reason, count(*) AS count,
      (SELECT coalesce(jsonb_agg(s ORDER BY s."receivedAt" DESC), '[]'::jsonb) FROM (
         SELECT r2.message_id AS "messageId", r2.channel, r2.received_at AS "receivedAt", r2.details, r2.source_sequence AS "sourceSequence"
         FROM analytics.rejected_events r2
         WHERE r2.project_id = ${projectId} AND r2.reason = r.reason AND r2.resolved_at IS NULL
         ORDER BY r2.received_at DESC LIMIT ${samplesPerReason}) s) AS samples
    FROM analytics.rejected_events r
    WHERE project_id = ${projectId} AND resolved_at IS NULL
    GROUP BY reason ORDER BY count(*) DESC, reason`);
  return res.rows.map((r) => ({ reason: r.reason, count: Number(r.count), samples: r.samples }));
}

/** An event at the tail: how long it took, how late it came, and the lineage of its first write. */
export interface TailEvent {
  eventId: string;
  channel: string;
  event: string | null;
  eventTime: string;
  receivedAt: string;
  writtenAt: string;
  latencyMs: number;
  lateBySeconds: number;
  workflowId: string | null;
  rulesVersion: number | null;
  transforms: unknown;
}

/**
 * The slowest events received in the last `minutes` (receipt → first write)
 * and the latest-arriving ones (receipt long after event time), with the
 * lineage of their first production write. Reads the window's receipts by
 * index, not the whole history.
 */
export async function tailEvents(connection: Connection, projectId: string, minutes: number, limit: number): Promise<{ slowest: TailEvent[]; latestArriving: TailEvent[] }> {
  const db = createDb(connection);
  const query = (order: 'latency' | 'lateness') =>
    db.execute<Record<string, unknown>>(sql`
      SELECT e.event_id, e.channel, COALESCE(e.event, e.name, '$' || e.type) AS event, e.event_time, l.received_at, l.written_at,
             extract(epoch FROM l.written_at - l.received_at) * 1000 AS latency_ms,
             extract(epoch FROM l.received_at - e.event_time) AS late_by_seconds,
             l.workflow_id, l.rules_version, l.transforms
      FROM braid.receipts rc
      JOIN braid.lineage l ON l.source_stream = rc.source_stream AND l.source_sequence = rc.source_sequence
        AND l.replay_id IS NULL AND l.backfill_id IS NULL AND l.destination = 'production'
      JOIN braid.canonical_events e ON e.project_id = l.project_id AND e.event_id = l.event_id
      WHERE rc.project_id = ${projectId} AND rc.received_at >= now() - make_interval(mins => ${minutes})
      ORDER BY ${order === 'latency' ? sql`l.written_at - l.received_at` : sql`l.received_at - e.event_time`} DESC
      LIMIT ${limit}`);
  const shape = (r: Record<string, unknown>): TailEvent => ({
    eventId: r.event_id as string,
    channel: r.channel as string,
    event: (r.event as string) ?? null,
    eventTime: new Date(r.event_time as string).toISOString(),
    receivedAt: new Date(r.received_at as string).toISOString(),
    writtenAt: new Date(r.written_at as string).toISOString(),
    latencyMs: Math.round(Number(r.latency_ms)),
    lateBySeconds: Math.round(Number(r.late_by_seconds)),
    workflowId: (r.workflow_id as string) ?? null,
    rulesVersion: r.rules_version === null ? null : Number(r.rules_version),
    transforms: r.transforms,
  });
  const [slowest, latest] = await Promise.all([query('latency'), query('lateness')]);
  return { slowest: slowest.rows.map(shape), latestArriving: latest.rows.map(shape) };
}

/** A project's analytics.data_quality hours since `hours` ago, newest first. */
export async function qualityHours(connection: Connection, projectId: string, hours: number) {
  const res = await createDb(connection).execute<Record<string, unknown>>(sql`
    SELECT channel, event, hour, volume, null_user_id_share, null_anonymous_id_share, schema_violations, unplanned_events,
           unplanned_properties, naming_violations, currency_violations, blocked, expected_volume, volume_anomaly, property_null_shares
    FROM analytics.data_quality
    WHERE project_id = ${projectId} AND hour >= date_trunc('hour', now()) - make_interval(hours => ${hours})
    ORDER BY hour DESC, channel, event`);
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return res.rows.map((r) => ({
    channel: r.channel as string,
    event: r.event as string,
    hour: new Date(r.hour as string).toISOString(),
    volume: Number(r.volume),
    nullUserIdShare: num(r.null_user_id_share),
    nullAnonymousIdShare: num(r.null_anonymous_id_share),
    schemaViolations: Number(r.schema_violations),
    unplannedEvents: Number(r.unplanned_events),
    unplannedProperties: Number(r.unplanned_properties),
    namingViolations: Number(r.naming_violations),
    currencyViolations: Number(r.currency_violations),
    blocked: Number(r.blocked),
    expectedVolume: num(r.expected_volume),
    volumeAnomaly: (r.volume_anomaly as 'drop' | 'spike' | null) ?? null,
    propertyNullShares: r.property_null_shares ? Object.fromEntries(Object.entries(r.property_null_shares as Record<string, unknown>).map(([k, v]) => [k, Number(v)])) : null,
  }));
}

/** Consent at a glance: events held for consent now, and suppressions per day and reason since `days` ago. */
export async function consentFigures(connection: Connection, projectId: string, days: number) {
  const db = createDb(connection);
  const held = await db.execute<{ n: string }>(sql`SELECT count(*) AS n FROM braid.staged_events WHERE project_id = ${projectId} AND hold_until IS NOT NULL`);
  const suppressions = await db.execute<{ day: string; category: string; reason: string; count: string }>(sql`
    SELECT day::text AS day, category, reason, sum(count) AS count FROM analytics.consent_suppressions
    WHERE project_id = ${projectId} AND day >= current_date - ${days}::int
    GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`);
  return {
    held: Number(held.rows[0]?.n ?? 0),
    suppressions: suppressions.rows.map((r) => ({ day: r.day, category: r.category, reason: r.reason, count: Number(r.count) })),
  };
}
