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
