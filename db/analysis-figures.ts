import { and, desc, eq, gte, notLike, sql } from 'drizzle-orm';
import type { Breakdown, BucketInterval } from '../contracts/analysis';
import type { SegmentStepRow } from '../rules/funnel-segments';
import type { RetentionRow } from '../rules/retention-cohorts';
import type { CumulativeCount } from '../rules/conversion-histogram';
import { SEGMENT_OF } from './breakdowns';
import { createDb, type Connection } from './client';
import { qualityCounts } from './schema';
import { runShown } from './sql-text';

/**
 * The analysts' figures the console draws (api/routes/analysis.ts), each read
 * from the analytics functions and views of contract §5 and answered with the
 * SQL that produced it (db/sql-text.ts), so a figure can be re-run by hand.
 * Times are ISO-8601 strings, intervals Postgres interval text (`1 day`).
 */

export interface Shown<T> {
  rows: T[];
  sql: string;
}

/** The arguments of analytics.funnel and its siblings. */
export interface FunnelArgs {
  projectId: string;
  steps: string[];
  from: string;
  to: string;
  /** The conversion window as interval text, e.g. `1 day`. */
  window: string;
}

export interface FunnelStep {
  step: number;
  event: string;
  persons: number;
  conversionRate: number;
}

const funnelArguments = (a: FunnelArgs) => sql`${a.projectId}, ${sql.param(a.steps)}::text[], ${a.from}::timestamptz, ${a.to}::timestamptz, ${a.window}::interval`;

/** analytics.funnel as it is: persons per step and their share of step 1. */
export async function funnel(connection: Connection, a: FunnelArgs): Promise<Shown<FunnelStep>> {
  const { rows, sql: shown } = await runShown<{ step: number; event: string; persons: number; conversion_rate: string }>(
    connection,
    sql`
      SELECT step, event, persons, conversion_rate
      FROM analytics.funnel(${funnelArguments(a)})
      ORDER BY step`,
  );
  return { rows: rows.map((r) => ({ step: Number(r.step), event: r.event, persons: Number(r.persons), conversionRate: Number(r.conversion_rate) })), sql: shown };
}

/**
 * The funnel per value of a breakdown: each person counted once per step, on
 * the value of the event at which they reached it (so a step's values add up
 * to analytics.funnel's persons), every value seen among the funnel's events
 * on every step. By channel this is analytics.funnel_by_channel; other
 * breakdowns read analytics.funnel_persons the same way, with the value from
 * the reaching event (db/breakdowns.ts).
 */
export async function funnelBreakdown(connection: Connection, a: FunnelArgs, breakdown: Breakdown): Promise<Shown<SegmentStepRow>> {
  const query =
    breakdown === 'channel'
      ? sql`
          SELECT step, event, channel AS segment, persons, conversion_rate
          FROM analytics.funnel_by_channel(${funnelArguments(a)})
          ORDER BY step, channel`
      : sql`
          WITH reached AS (
            SELECT p.step, ${SEGMENT_OF[breakdown]} AS segment
            FROM analytics.funnel_persons(${funnelArguments(a)}) p
            JOIN analytics.events e ON e.project_id = ${a.projectId} AND e.event_id = p.event_id AND e.event_time = p.event_time
          ), segments AS (
            SELECT DISTINCT ${SEGMENT_OF[breakdown]} AS segment
            FROM analytics.events e
            WHERE e.project_id = ${a.projectId} AND e.event = ANY (${sql.param(a.steps)}::text[]) AND e.person_id IS NOT NULL
              AND e.event_time >= ${a.from}::timestamptz AND e.event_time < ${a.to}::timestamptz + ${a.window}::interval
          ), counts AS (
            SELECT r.step, r.segment, count(*) AS persons FROM reached r GROUP BY r.step, r.segment
          ), started AS (
            SELECT count(*) AS persons FROM reached r WHERE r.step = 1
          )
          SELECT i AS step, (${sql.param(a.steps)}::text[])[i] AS event, s.segment, coalesce(c.persons, 0) AS persons,
                 CASE WHEN st.persons = 0 THEN 0 ELSE round(coalesce(c.persons, 0)::numeric / st.persons, 4) END AS conversion_rate
          FROM generate_series(1, ${a.steps.length}) AS i
          CROSS JOIN segments s
          CROSS JOIN started st
          LEFT JOIN counts c ON c.step = i AND c.segment = s.segment
          ORDER BY i, s.segment`;
  const { rows, sql: shown } = await runShown<{ step: number; event: string; segment: string; persons: number; conversion_rate: string }>(connection, query);
  return {
    rows: rows.map((r) => ({ step: Number(r.step), event: r.event, segment: r.segment, persons: Number(r.persons), conversionRate: Number(r.conversion_rate) })),
    sql: shown,
  };
}

export interface ConversionArgs {
  projectId: string;
  fromEvent: string;
  toEvent: string;
  from: string;
  to: string;
  window: string;
}

export interface TimeToConvert {
  started: number;
  converted: number;
  p50Seconds: number | null;
  p90Seconds: number | null;
  p99Seconds: number | null;
}

const seconds = (v: unknown) => (v === null || v === undefined ? null : Number(v));

/** analytics.time_to_convert: persons who started, converted within the window, and percentiles of their times. */
export async function timeToConvert(connection: Connection, a: ConversionArgs): Promise<Shown<TimeToConvert>> {
  const { rows, sql: shown } = await runShown<{ started: number; converted: number; p50_seconds: string | null; p90_seconds: string | null; p99_seconds: string | null }>(
    connection,
    sql`
      SELECT started, converted, extract(epoch FROM p50) AS p50_seconds, extract(epoch FROM p90) AS p90_seconds, extract(epoch FROM p99) AS p99_seconds
      FROM analytics.time_to_convert(${a.projectId}, ${a.fromEvent}, ${a.toEvent}, ${a.from}::timestamptz, ${a.to}::timestamptz, ${a.window}::interval)`,
  );
  return {
    rows: rows.map((r) => ({ started: Number(r.started), converted: Number(r.converted), p50Seconds: seconds(r.p50_seconds), p90Seconds: seconds(r.p90_seconds), p99Seconds: seconds(r.p99_seconds) })),
    sql: shown,
  };
}

/** Persons converted within each bound: analytics.time_to_convert with the bound as its window (rules/conversion-histogram.ts). */
export async function convertedWithin(connection: Connection, a: Omit<ConversionArgs, 'window'>, boundsSeconds: readonly number[]): Promise<Shown<CumulativeCount>> {
  const bounds = boundsSeconds.map((s) => `${s} seconds`);
  const { rows, sql: shown } = await runShown<{ up_to_seconds: string; converted: number }>(
    connection,
    sql`
      SELECT extract(epoch FROM b.bound) AS up_to_seconds, t.converted
      FROM unnest(${sql.param(bounds)}::interval[]) WITH ORDINALITY AS b(bound, n)
      CROSS JOIN LATERAL analytics.time_to_convert(${a.projectId}, ${a.fromEvent}, ${a.toEvent}, ${a.from}::timestamptz, ${a.to}::timestamptz, b.bound) t
      ORDER BY b.n`,
  );
  return { rows: rows.map((r) => ({ upToSeconds: Number(r.up_to_seconds), converted: Number(r.converted) })), sql: shown };
}

export interface AdoptionArgs {
  projectId: string;
  event: string;
  from: string;
  to: string;
  interval: BucketInterval;
}

export interface AdoptionBucket {
  /** The day or week (Monday, UTC) the figures are for; the first and last may be cut by the period. */
  bucket: string;
  channel: string;
  appVersion: string | null;
  activePersons: number;
  adopters: number;
  adoptionRate: number;
}

/** analytics.feature_adoption per UTC day or ISO week of the period, per channel and app version. */
export async function adoptionOverTime(connection: Connection, a: AdoptionArgs): Promise<Shown<AdoptionBucket>> {
  const step = `1 ${a.interval}`;
  const { rows, sql: shown } = await runShown<{ bucket: Date; channel: string; app_version: string | null; active_persons: number; adopters: number; adoption_rate: string }>(
    connection,
    sql`
      SELECT b.bucket, f.channel, f.app_version, f.active_persons, f.adopters, f.adoption_rate
      FROM generate_series(date_trunc(${a.interval}, ${a.from}::timestamptz, 'UTC'), ${a.to}::timestamptz - interval '1 microsecond', ${step}::interval) AS b(bucket)
      CROSS JOIN LATERAL analytics.feature_adoption(${a.projectId}, ${a.event},
        greatest(b.bucket, ${a.from}::timestamptz), least(b.bucket + ${step}::interval, ${a.to}::timestamptz)) f
      ORDER BY b.bucket, f.channel, f.app_version NULLS FIRST`,
  );
  return {
    rows: rows.map((r) => ({
      bucket: new Date(r.bucket).toISOString(),
      channel: r.channel,
      appVersion: r.app_version,
      activePersons: Number(r.active_persons),
      adopters: Number(r.adopters),
      adoptionRate: Number(r.adoption_rate),
    })),
    sql: shown,
  };
}

export interface PeriodArgs {
  projectId: string;
  from: string;
  to: string;
}

export interface ActivePersonsBucket {
  /** YYYY-MM-DD: the UTC day, or the Monday of the ISO week. */
  bucket: string;
  /** null: each person once across channels. */
  channel: string | null;
  activePersons: number;
}

/** analytics.active_persons_daily or _weekly for the days or weeks the period touches. */
export async function activePersons(connection: Connection, a: PeriodArgs & { interval: BucketInterval }): Promise<Shown<ActivePersonsBucket>> {
  const last = sql`(${a.to}::timestamptz - interval '1 microsecond')`;
  const query =
    a.interval === 'day'
      ? sql`
          SELECT a.day::text AS bucket, a.channel, a.active_persons
          FROM analytics.active_persons_daily a
          WHERE a.project_id = ${a.projectId}
            AND a.day BETWEEN (${a.from}::timestamptz AT TIME ZONE 'UTC')::date AND (${last} AT TIME ZONE 'UTC')::date
          ORDER BY a.day, a.channel NULLS FIRST`
      : sql`
          SELECT a.week::text AS bucket, a.channel, a.active_persons
          FROM analytics.active_persons_weekly a
          WHERE a.project_id = ${a.projectId}
            AND a.week BETWEEN date_trunc('week', ${a.from}::timestamptz AT TIME ZONE 'UTC')::date AND date_trunc('week', ${last} AT TIME ZONE 'UTC')::date
          ORDER BY a.week, a.channel NULLS FIRST`;
  const { rows, sql: shown } = await runShown<{ bucket: string; channel: string | null; active_persons: number }>(connection, query);
  return { rows: rows.map((r) => ({ bucket: r.bucket, channel: r.channel, activePersons: Number(r.active_persons) })), sql: shown };
}

/**
 * Weekly retention: persons whose first event ever (in the project, any
 * channel, after stitching) falls in [from, to), by the ISO week (UTC) of that
 * event, and how many of each cohort had any event 0..weeks weeks later.
 */
export async function retention(connection: Connection, a: PeriodArgs & { weeks: number }): Promise<Shown<RetentionRow>> {
  const { rows, sql: shown } = await runShown<{ cohort_week: string; week_offset: number; persons: number }>(
    connection,
    sql`
      WITH firsts AS (
        SELECT e.person_id, min(e.event_time) AS first_seen
        FROM analytics.events e
        WHERE e.project_id = ${a.projectId} AND e.person_id IS NOT NULL AND e.event_time < ${a.to}::timestamptz
        GROUP BY e.person_id
      ), cohorts AS (
        SELECT f.person_id, date_trunc('week', f.first_seen AT TIME ZONE 'UTC')::date AS cohort_week
        FROM firsts f
        WHERE f.first_seen >= ${a.from}::timestamptz
      ), activity AS (
        SELECT DISTINCT e.person_id, date_trunc('week', e.event_time AT TIME ZONE 'UTC')::date AS week
        FROM analytics.events e
        WHERE e.project_id = ${a.projectId} AND e.person_id IS NOT NULL
          AND e.event_time >= date_trunc('week', ${a.from}::timestamptz AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
          AND e.event_time < ${a.to}::timestamptz + make_interval(weeks => ${a.weeks} + 1)
      )
      SELECT c.cohort_week::text AS cohort_week, (a.week - c.cohort_week) / 7 AS week_offset, count(*) AS persons
      FROM cohorts c
      JOIN activity a ON a.person_id = c.person_id AND a.week BETWEEN c.cohort_week AND c.cohort_week + 7 * ${a.weeks}
      GROUP BY c.cohort_week, a.week
      ORDER BY c.cohort_week, a.week`,
  );
  return { rows: rows.map((r) => ({ cohortWeek: r.cohort_week, weekOffset: Number(r.week_offset), persons: Number(r.persons) })), sql: shown };
}

/** The events a project wrote in the last `days` days by name (page and screen names included), the most frequent first. */
export async function eventNames(connection: Connection, projectId: string, days: number): Promise<{ event: string; events: number }[]> {
  const total = sql<number>`sum(${qualityCounts.volume})`.mapWith(Number);
  return createDb(connection)
    .select({ event: qualityCounts.event, events: total })
    .from(qualityCounts)
    .where(and(eq(qualityCounts.projectId, projectId), gte(qualityCounts.hour, sql`now() - make_interval(days => ${days})`), notLike(qualityCounts.event, '$%')))
    .groupBy(qualityCounts.event)
    .having(sql`sum(${qualityCounts.volume}) > 0`)
    .orderBy(desc(total), qualityCounts.event)
    .limit(500);
}
