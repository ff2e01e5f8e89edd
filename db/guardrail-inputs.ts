import { count, eq, sql } from 'drizzle-orm';
import type { Breakdown } from '../contracts/analysis';
import type { SegmentEvents } from '../rules/analysis-guardrails';
import type { HealthMinute, QualityHour } from '../rules/guardrails';
import { SCHEMA_VERSION_FIELD } from '../rules/tracking-plan';
import { SEGMENT_OF } from './breakdowns';
import { createDb, type Connection } from './client';
import { lakeChanges, lakeExports } from './schema';

/**
 * What the guardrails beside an analyst's figure are decided on
 * (rules/analysis-guardrails.ts), and how fresh the figure is: each a small
 * query over the analytics views or the rollups behind them. Gathering only;
 * the rules decide.
 */

export interface Period {
  projectId: string;
  from: string;
  /** The end of what the figure reads (a funnel's `to` plus its conversion window). */
  until: string;
}

/**
 * Per compared value (breakdown) and event: how many of the events arrived in
 * the period and the schema versions (`context.schemaVersion`) they named. One
 * grouped query; an event a value never sent has no row.
 */
export async function eventsBySegment(connection: Connection, p: Period, events: readonly string[], breakdown: Breakdown): Promise<SegmentEvents[]> {
  if (events.length === 0) return [];
  const res = await createDb(connection).execute<{ segment: string; event: string; events: number; versions: string[] }>(sql`
    SELECT ${SEGMENT_OF[breakdown]} AS segment, e.event, count(*) AS events,
           array_remove(array_agg(DISTINCT e.context ->> ${SCHEMA_VERSION_FIELD}), NULL) AS versions
    FROM analytics.events e
    WHERE e.project_id = ${p.projectId} AND e.event = ANY (${sql.param([...events])}::text[])
      AND e.event_time >= ${p.from}::timestamptz AND e.event_time < ${p.until}::timestamptz
    GROUP BY 1, 2`);
  return res.rows.map((r) => ({ segment: r.segment, event: r.event, events: Number(r.events), versions: r.versions }));
}

/** The period's minutes (of receipt) in which ingestion rejected anything (analytics.ingestion_health). */
export async function rejectingMinutes(connection: Connection, p: Period): Promise<HealthMinute[]> {
  const res = await createDb(connection).execute<{ minute: Date; received: number; rejected: number }>(sql`
    SELECT minute, received, rejected FROM analytics.ingestion_health
    WHERE project_id = ${p.projectId} AND minute >= date_trunc('minute', ${p.from}::timestamptz) AND minute < ${p.until}::timestamptz AND rejected > 0
    ORDER BY minute`);
  return res.rows.map((r) => ({ minute: new Date(r.minute).toISOString(), received: Number(r.received), rejected: Number(r.rejected) }));
}

/** The period's hours with a volume anomaly (analytics.data_quality), of these events or of any when none are given; one row per event and hour. */
export async function anomalousHours(connection: Connection, p: Period, events: readonly string[]): Promise<QualityHour[]> {
  const res = await createDb(connection).execute<{ event: string; hour: Date; anomaly: string }>(sql`
    SELECT DISTINCT event, hour, volume_anomaly AS anomaly FROM analytics.data_quality
    WHERE project_id = ${p.projectId} AND hour >= date_trunc('hour', ${p.from}::timestamptz) AND hour < ${p.until}::timestamptz
      AND volume_anomaly IS NOT NULL ${events.length > 0 ? sql`AND event = ANY (${sql.param([...events])}::text[])` : sql``}
    ORDER BY hour, event`);
  return res.rows.map((r) => ({ event: r.event, hour: new Date(r.hour).toISOString(), anomaly: r.anomaly }));
}

/** How many of the newest events (by event time, last 7 days) the late-arrival horizon is read from. */
const LATENESS_SAMPLE = 10_000;

/**
 * How late the project's events arrive: the 99th percentile of received_at −
 * event_time over its newest events of the last 7 days (a sample of at most
 * 10 000, read by index), in ms; null without events.
 */
export async function lateHorizonMs(connection: Connection, projectId: string): Promise<number | null> {
  const res = await createDb(connection).execute<{ ms: string | null }>(sql`
    SELECT percentile_cont(0.99) WITHIN GROUP (ORDER BY greatest(0, extract(epoch FROM s.received_at - s.event_time))) * 1000 AS ms
    FROM (SELECT e.received_at, e.event_time FROM analytics.events e
          WHERE e.project_id = ${projectId} AND e.event_time >= now() - interval '7 days'
          ORDER BY e.event_time DESC LIMIT ${LATENESS_SAMPLE}) s`);
  const ms = res.rows[0]?.ms;
  return ms === null || ms === undefined ? null : Math.round(Number(ms));
}

export interface Freshness {
  /** The newest written_at among the period's events: when the figure's data last changed. */
  latestWrittenAt: string | null;
  /** Seconds from latestWrittenAt to now. */
  ageSeconds: number | null;
  now: string;
  /** Messages received in the last 15 minutes and not yet decided (in flight, or held for consent). */
  undecided: number;
  /** Partitions the lake export still has to rewrite for this project; null when no lake is kept. */
  lakePendingPartitions: number | null;
  /** Ingestion or the lake export has work outstanding: the newest numbers may still change. */
  behind: boolean;
}

const UNDECIDED_MINUTES = 15;

/** How fresh a figure over the period is, and whether ingestion or the lake export is behind. */
export async function freshness(connection: Connection, p: Period): Promise<Freshness> {
  const db = createDb(connection);
  const [latest, health, lake] = await Promise.all([
    db.execute<{ latest: Date | null; now: Date }>(sql`
      SELECT max(e.written_at) AS latest, now() AS now FROM analytics.events e
      WHERE e.project_id = ${p.projectId} AND e.event_time >= ${p.from}::timestamptz AND e.event_time < ${p.until}::timestamptz`),
    db.execute<{ undecided: number }>(sql`
      SELECT coalesce(sum(received - written - rejected - suppressed - duplicates), 0) AS undecided FROM analytics.ingestion_health
      WHERE project_id = ${p.projectId} AND minute >= date_trunc('minute', now()) - make_interval(mins => ${UNDECIDED_MINUTES})`),
    db
      .select({ lakes: sql<number>`(SELECT count(*) FROM ${lakeExports})`.mapWith(Number), pending: count() })
      .from(lakeChanges)
      .where(eq(lakeChanges.projectId, p.projectId)),
  ]);
  const row = latest.rows[0];
  const now = row ? new Date(row.now) : new Date();
  const latestWrittenAt = row?.latest ? new Date(row.latest) : null;
  const undecided = Math.max(0, Number(health.rows[0]?.undecided ?? 0));
  const lakePendingPartitions = (lake[0]?.lakes ?? 0) > 0 ? (lake[0]?.pending ?? 0) : null;
  return {
    latestWrittenAt: latestWrittenAt?.toISOString() ?? null,
    ageSeconds: latestWrittenAt ? Math.max(0, Math.round((now.getTime() - latestWrittenAt.getTime()) / 1000)) : null,
    now: now.toISOString(),
    undecided,
    lakePendingPartitions,
    behind: undecided > 0 || (lakePendingPartitions ?? 0) > 0,
  };
}
