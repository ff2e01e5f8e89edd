/**
 * Four analyses asked of both engines over the same range: on Postgres as an
 * analyst asks them (braid's functions over analytics.events), on the lake
 * as DuckDB SQL over `events` that computes the same thing. Both select the
 * same columns with the same types (counts as integers, times in seconds),
 * in the same order, so their answers compare row by row.
 */

export interface LakeAnalysis {
  name: string;
  postgres: string;
  duckdb: string;
  /** How far apart non-integer figures may be (see compareAnswers). */
  tolerance: number;
}

export interface AnalysisRange {
  projectId: string;
  /** [from, to): step 1 of a funnel, the first from_event, activity and sessions fall in it. */
  from: Date;
  to: Date;
  /** How long after its start a funnel or a conversion may end. */
  windowDays: number;
}

export const FUNNEL_STEPS = ['Signup Started', 'Signup Completed', 'Order Completed'] as const;
export const CONVERSION = { from: 'Signup Started', to: 'Order Completed' } as const;
export const FEATURE_EVENT = 'Settings Changed';

/** Rates are rounded to 4 decimals on both sides, a half may round either way in DuckDB's doubles. */
const RATE_TOLERANCE = 0.00011;
/** Postgres interpolates percentiles of intervals to the microsecond; DuckDB in doubles. */
const SECONDS_TOLERANCE = 0.001;

/** A string as an SQL literal (the same quoting in Postgres and DuckDB). */
function lit(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

const DAY_MS = 86_400_000;

export function lakeAnalyses(range: AnalysisRange): LakeAnalysis[] {
  const { projectId, from, to, windowDays } = range;
  const p = lit(projectId);
  const [f, t] = [`${lit(from.toISOString())}::timestamptz`, `${lit(to.toISOString())}::timestamptz`];
  const window = `interval '${windowDays} days'`;
  const windowUs = windowDays * DAY_MS * 1000;
  const tPlusW = `${lit(new Date(to.getTime() + windowDays * DAY_MS).toISOString())}::TIMESTAMPTZ`;
  /** The lake's partitions a range can touch (UTC dates, as the paths have them): pruned without opening a file. */
  const dates = (until: Date) => `event_date BETWEEN DATE ${lit(utcDate(from))} AND DATE ${lit(utcDate(until))}`;
  const lakeDates = dates(to);
  const lakeDatesWithWindow = dates(new Date(to.getTime() + windowDays * DAY_MS));
  const days = `${windowDays}d`;
  const span = `${Math.round((to.getTime() - from.getTime()) / DAY_MS)}d`;
  return [
    {
      name: `funnel_${span}_window_${days}`,
      postgres: `SELECT step, event, persons::int AS persons, conversion_rate::float8 AS conversion_rate
        FROM analytics.funnel(${p}, ARRAY[${FUNNEL_STEPS.map(lit).join(', ')}], ${f}, ${t}, ${window}) ORDER BY step`,
      duckdb: duckdbFunnel({ p, f, t, tPlusW, windowUs, dates: lakeDatesWithWindow }, FUNNEL_STEPS),
      tolerance: RATE_TOLERANCE,
    },
    {
      name: `time_to_convert_${span}_window_${days}`,
      postgres: `SELECT started::int AS started, converted::int AS converted,
          extract(epoch FROM p50)::float8 AS p50_s, extract(epoch FROM p90)::float8 AS p90_s, extract(epoch FROM p99)::float8 AS p99_s
        FROM analytics.time_to_convert(${p}, ${lit(CONVERSION.from)}, ${lit(CONVERSION.to)}, ${f}, ${t}, ${window})`,
      duckdb: `
        WITH candidates AS MATERIALIZED (
          SELECT person_id, event_time, epoch_us(event_time) AS us, event_id, event FROM events
          WHERE project_id = ${p} AND ${lakeDatesWithWindow} AND event IN (${lit(CONVERSION.from)}, ${lit(CONVERSION.to)})
            AND event_time >= ${f} AND event_time < ${tPlusW} AND person_id IS NOT NULL
        ), firsts AS MATERIALIZED (
          SELECT person_id, us, event_id FROM candidates WHERE event = ${lit(CONVERSION.from)} AND event_time < ${t}
          QUALIFY row_number() OVER (PARTITION BY person_id ORDER BY us, event_id) = 1
        ), conversions AS (
          SELECT c.us - f.us AS took FROM firsts f
          JOIN candidates c ON c.person_id = f.person_id AND c.event = ${lit(CONVERSION.to)}
                           AND (c.us > f.us OR (c.us = f.us AND c.event_id > f.event_id))
          QUALIFY row_number() OVER (PARTITION BY f.person_id ORDER BY c.us, c.event_id) = 1
        ), pct AS (
          SELECT count(*) AS n, quantile_cont(took::DOUBLE, [0.5, 0.9, 0.99]) AS q FROM conversions WHERE took <= ${windowUs}
        )
        SELECT (SELECT count(*) FROM firsts)::INTEGER AS started, n::INTEGER AS converted,
               q[1] / 1e6 AS p50_s, q[2] / 1e6 AS p90_s, q[3] / 1e6 AS p99_s
        FROM pct`,
      tolerance: SECONDS_TOLERANCE,
    },
    {
      name: `feature_adoption_${span}`,
      postgres: `SELECT channel, app_version, active_persons::int AS active_persons, adopters::int AS adopters, adoption_rate::float8 AS adoption_rate
        FROM analytics.feature_adoption(${p}, ${lit(FEATURE_EVENT)}, ${f}, ${t})
        ORDER BY channel COLLATE "C", app_version COLLATE "C" NULLS FIRST`,
      duckdb: `
        WITH active AS (
          SELECT channel, json_extract_string(context, '$.app.version') AS app_version, person_id, bool_or(event = ${lit(FEATURE_EVENT)}) AS adopted
          FROM events
          WHERE project_id = ${p} AND ${lakeDates} AND event_time >= ${f} AND event_time < ${t} AND person_id IS NOT NULL
          GROUP BY 1, 2, 3
        )
        SELECT channel, app_version, count(*)::INTEGER AS active_persons, (count(*) FILTER (WHERE adopted))::INTEGER AS adopters,
               round((count(*) FILTER (WHERE adopted)) / count(*), 4) AS adoption_rate
        FROM active GROUP BY 1, 2 ORDER BY channel, app_version NULLS FIRST`,
      tolerance: RATE_TOLERANCE,
    },
    {
      // The bench loads events only (no session workflow, so analytics.sessions is empty): sessions with an event on each UTC day.
      name: `sessions_per_day_${span}`,
      postgres: `SELECT (event_time AT TIME ZONE 'UTC')::date::text AS day, count(DISTINCT session_id)::int AS sessions
        FROM analytics.events WHERE project_id = ${p} AND event_time >= ${f} AND event_time < ${t} GROUP BY 1 ORDER BY 1`,
      duckdb: `SELECT event_date::VARCHAR AS day, count(DISTINCT session_id)::INTEGER AS sessions
        FROM events WHERE project_id = ${p} AND ${lakeDates} AND event_time >= ${f} AND event_time < ${t} GROUP BY 1 ORDER BY 1`,
      tolerance: 0,
    },
  ];
}

function utcDate(t: Date): string {
  return t.toISOString().slice(0, 10);
}

interface FunnelSql {
  p: string;
  f: string;
  t: string;
  tPlusW: string;
  windowUs: number;
  dates: string;
}

/**
 * analytics.funnel_persons' algorithm in DuckDB, its recursion unrolled one
 * level per step: an event of step k carries the latest start of a chain
 * of steps 1..k ending at it (a running max over the person's earlier
 * events); a person reaches step k when some step-k event is at most the
 * window after its latest start. Same order ((event_time, event_id), byte
 * order), same early drops, so the same persons per step.
 */
function duckdbFunnel(q: FunnelSql, steps: readonly string[]): string {
  const s = steps.map(lit);
  const inWindow = `latest_start IS NOT NULL AND us - latest_start <= ${q.windowUs}`;
  const levels = [
    `level1 AS MATERIALIZED (
      SELECT person_id, us, event_id, event, CASE WHEN event = ${s[0]} AND event_time < ${q.t} THEN us END AS latest_start
      FROM candidates
      WHERE person_id IN (SELECT person_id FROM candidates WHERE event = ${s[0]} AND event_time < ${q.t}))`,
  ];
  for (let k = 2; k <= s.length; k++) {
    levels.push(`level${k} AS MATERIALIZED (
      SELECT person_id, us, event_id, event,
             CASE WHEN event = ${s[k - 1]} THEN
               max(latest_start) OVER (PARTITION BY person_id ORDER BY us, event_id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
             END AS latest_start
      FROM level${k - 1}
      WHERE (${inWindow}) OR event IN (${s.slice(k - 1).join(', ')}))`);
  }
  const reached = s.map((_, i) => `SELECT ${i + 1} AS step, count(DISTINCT person_id) AS persons FROM level${i + 1} WHERE ${inWindow}`);
  return `
    WITH candidates AS MATERIALIZED (
      SELECT person_id, event_time, epoch_us(event_time) AS us, event_id, event FROM events
      WHERE project_id = ${q.p} AND ${q.dates} AND event IN (${[...new Set(s)].join(', ')})
        AND event_time >= ${q.f} AND event_time < ${q.tPlusW} AND person_id IS NOT NULL
    ), ${levels.join(', ')},
    reached AS (${reached.join(' UNION ALL ')}),
    steps (step, event) AS (VALUES ${s.map((e, i) => `(${i + 1}, ${e})`).join(', ')})
    SELECT steps.step::INTEGER AS step, steps.event, coalesce(r.persons, 0)::INTEGER AS persons,
           CASE WHEN step1.persons = 0 THEN 0 ELSE round(coalesce(r.persons, 0) / step1.persons, 4) END AS conversion_rate
    FROM steps LEFT JOIN reached r ON r.step = steps.step CROSS JOIN (SELECT persons FROM reached WHERE step = 1) step1
    ORDER BY steps.step`;
}
