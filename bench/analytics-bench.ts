import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { lakeLocation } from '../rules/lake-layout';
import { ConfigError, loadConfig } from '../runtime/config';
import { createLogger } from '../runtime/logger';
import { preparePostgres } from '../runtime/platform';
import { ratio } from './harness/figures';
import { medianOfRuns } from './harness/timing';
import { compareWithLake } from './lake-comparison';

/**
 * `npm run bench -- --analytics`: loads synthetic canonical events (default 10
 * million over 90 days, three channels, 200k persons) into the partitioned
 * store of its own database, plus an unpartitioned copy, and times analyst
 * queries on both (median of several runs). Prints one JSON line with the
 * medians and the ratios (partitioned / unpartitioned) and whether the
 * partitioned plans pruned partitions; then exports the project to a lake
 * (BENCH_ANALYTICS_LAKE, default under the OS's temporary directory; once
 * per data set) and times four analyses on Postgres against DuckDB over the
 * lake, checking both answer the same (`lake` in the JSON line); a
 * Postgres plan still running after BENCH_ANALYTICS_PG_TIMEOUT_S (300) is
 * cancelled and reported as such.
 */
export async function runAnalyticsBench(): Promise<void> {
  const events = Number(process.env.BENCH_ANALYTICS_EVENTS ?? 10_000_000);
  const persons = Number(process.env.BENCH_ANALYTICS_PERSONS ?? 200_000);
  const runs = Number(process.env.BENCH_ANALYTICS_RUNS ?? 5);
  const postgresTimeoutMs = Number(process.env.BENCH_ANALYTICS_PG_TIMEOUT_S ?? 300) * 1000;
  const lakeDir = lakeLocation(process.env.BENCH_ANALYTICS_LAKE || join(tmpdir(), 'braid-bench-analytics-lake'), process.cwd());
  if (!lakeDir.ok) throw new ConfigError([`BENCH_ANALYTICS_LAKE: ${lakeDir.reason}`]);
  const url = new URL(loadConfig().DATABASE_URL);
  url.pathname = '/braid_bench_analytics';
  process.env.DATABASE_URL = url.toString();
  const config = loadConfig();
  const log = createLogger('warn', 'braid-bench');
  const pool = await preparePostgres(config, log);
  const projectId = 'bench_analytics';
  try {
    const loaded = await pool.query<{ n: number }>(`SELECT count(*)::bigint AS n FROM braid.canonical_events WHERE project_id = $1`, [projectId]);
    if ((loaded.rows[0]?.n ?? 0) !== events) {
      console.error(`bench: loading ${events} events for ${persons} persons over 90 days (once; kept in braid_bench_analytics)…`);
      await load(pool, projectId, events, persons);
    }
    await ensureIdentities(pool, projectId, persons);
    // The worker folds the rollup deltas every few seconds; the bench has no worker, so it folds once here.
    await pool.query('SELECT braid.compact_rollups()');
    await pool.query('ANALYZE braid.quality_counts');
    const to = await pool.query<{ t: Date }>(`SELECT max(event_time) AS t FROM braid.canonical_events WHERE project_id = $1`, [projectId]);
    const end = to.rows[0]!.t.toISOString();
    const queries = benchQueries(projectId, end);
    const results: Record<string, unknown> = {};
    for (const q of queries) {
      const partitioned = (await medianOfRuns(() => pool.query(q.partitioned), runs)).ms;
      const flat = (await medianOfRuns(() => pool.query(q.unpartitioned), runs)).ms;
      const plan = await pool.query(`EXPLAIN (FORMAT JSON) ${q.partitioned}`);
      const partitionsRead = new Set(JSON.stringify(plan.rows[0]['QUERY PLAN']).match(/canonical_events_p[0-9]{6}/g) ?? []).size;
      results[q.name] = { partitionedMs: partitioned, unpartitionedMs: flat, ratio: ratio(partitioned, flat), partitionsRead };
      console.error(`bench: ${q.name}: ${partitioned} ms vs ${flat} ms unpartitioned (${partitionsRead} partitions read)`);
    }
    const lake = await compareWithLake(pool, lakeDir.dir, projectId, new Date(end), { runs, postgresTimeoutMs });
    if (!lake.allEqual) {
      console.error('bench: not every analysis got the same answer from both engines (lake.analyses: equal false, or null when Postgres never answered); those timings compare nothing');
      process.exitCode = 1;
    }
    console.log(JSON.stringify({ bench: 'braid-analytics', at: new Date().toISOString(), events, persons, days: 90, channels: 3, runs, queries: results, lake }));
  } finally {
    await pool.end();
  }
}

interface BenchQuery {
  name: string;
  partitioned: string;
  unpartitioned: string;
}

function benchQueries(projectId: string, end: string): BenchQuery[] {
  const p = `'${projectId}'`;
  const last = (days: number) => `event_time >= '${end}'::timestamptz - interval '${days} days' AND event_time <= '${end}'::timestamptz`;
  // The same hand-written SQL over the partitioned store and the unpartitioned copy.
  const both = (name: string, sql: (table: string) => string): BenchQuery => ({
    name,
    partitioned: sql('braid.canonical_events'),
    unpartitioned: sql('bench.canonical_events_flat'),
  });
  return [
    {
      // braid's own funnel function (persons after stitching, exact chains) against the hand-written baseline
      name: 'braid_funnel_function_7d',
      partitioned: `SELECT * FROM analytics.funnel(${p}, ARRAY['Signup Started', 'Signup Completed', 'Order Completed'],
        '${end}'::timestamptz - interval '7 days', '${end}'::timestamptz, interval '1 day')`,
      unpartitioned: `
      WITH s1 AS (SELECT anonymous_id AS who, min(event_time) AS t1 FROM bench.canonical_events_flat WHERE project_id = ${p} AND ${last(7)} AND event = 'Signup Started' GROUP BY 1),
           s2 AS (SELECT s1.who, min(e.event_time) AS t2 FROM s1 JOIN bench.canonical_events_flat e ON e.project_id = ${p} AND e.anonymous_id = s1.who AND e.event = 'Signup Completed'
                    AND e.event_time > s1.t1 AND e.event_time <= s1.t1 + interval '1 day' GROUP BY 1),
           s3 AS (SELECT s2.who FROM s2 JOIN bench.canonical_events_flat e ON e.project_id = ${p} AND e.anonymous_id = s2.who AND e.event = 'Order Completed'
                    AND e.event_time > s2.t2 GROUP BY 1)
      SELECT (SELECT count(*) FROM s1), (SELECT count(*) FROM s2), (SELECT count(*) FROM s3)`,
    },
    both('funnel_7d', (t) => `
      WITH s1 AS (SELECT anonymous_id AS who, min(event_time) AS t1 FROM ${t} WHERE project_id = ${p} AND ${last(7)} AND event = 'Signup Started' GROUP BY 1),
           s2 AS (SELECT s1.who, min(e.event_time) AS t2 FROM s1 JOIN ${t} e ON e.project_id = ${p} AND e.anonymous_id = s1.who AND e.event = 'Signup Completed'
                    AND e.event_time > s1.t1 AND e.event_time <= s1.t1 + interval '1 day' AND e.${last(7)} GROUP BY 1),
           s3 AS (SELECT s2.who FROM s2 JOIN ${t} e ON e.project_id = ${p} AND e.anonymous_id = s2.who AND e.event = 'Order Completed'
                    AND e.event_time > s2.t2 AND e.${last(8)} GROUP BY 1)
      SELECT (SELECT count(*) FROM s1), (SELECT count(*) FROM s2), (SELECT count(*) FROM s3)`),
    both('sessions_daily_7d', (t) => `
      SELECT date_trunc('day', event_time) AS day, channel, count(DISTINCT session_id) AS sessions, count(*) AS events
      FROM ${t} WHERE project_id = ${p} AND ${last(7)} GROUP BY 1, 2`),
    both('data_quality_hourly_24h', (t) => `
      SELECT date_trunc('hour', event_time) AS hour, channel, event, count(*) AS volume,
             avg((user_id IS NULL)::int) AS null_user_share, avg((anonymous_id IS NULL)::int) AS null_anonymous_share
      FROM ${t} WHERE project_id = ${p} AND ${last(1)} GROUP BY 1, 2, 3`),
    {
      // analytics.data_quality reads the rollups its triggers keep; the baseline scans the events of the same day
      name: 'data_quality_view_24h_rollup_vs_scan',
      partitioned: `SELECT * FROM analytics.data_quality WHERE project_id = ${p} AND hour >= date_trunc('hour', '${end}'::timestamptz - interval '1 day')`,
      unpartitioned: `
      SELECT date_trunc('hour', event_time) AS hour, channel, event, count(*) AS volume,
             avg((user_id IS NULL)::int) AS null_user_share, avg((anonymous_id IS NULL)::int) AS null_anonymous_share
      FROM braid.canonical_events WHERE project_id = ${p} AND ${last(1)} GROUP BY 1, 2, 3`,
    },
    both('events_30d_by_channel', (t) => `SELECT channel, count(*) FROM ${t} WHERE project_id = ${p} AND ${last(30)} GROUP BY 1`),
  ];
}

/** One person per anonymous id, so analytics.events resolves person_id as the pipeline would. */
async function ensureIdentities(pool: pg.Pool, projectId: string, persons: number): Promise<void> {
  const have = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM braid.identities WHERE project_id = $1`, [projectId]);
  if ((have.rows[0]?.n ?? 0) === persons) return;
  await pool.query(`DELETE FROM braid.identities WHERE project_id = $1`, [projectId]);
  await pool.query(
    `INSERT INTO braid.identities (project_id, kind, id, person_id)
     SELECT $1, 'anonymous', 'a' || i, 'p_' || i FROM generate_series(0, $2::int - 1) AS i`,
    [projectId, persons],
  );
  await pool.query('ANALYZE braid.identities');
}

async function load(pool: pg.Pool, projectId: string, events: number, persons: number): Promise<void> {
  await pool.query(`INSERT INTO braid.projects (project_id, name, settings) VALUES ($1, 'analytics bench', '{}') ON CONFLICT DO NOTHING`, [projectId]);
  await pool.query(`DELETE FROM braid.canonical_events WHERE project_id = $1`, [projectId]);
  await pool.query(`SELECT braid.ensure_event_partitions(now() - interval '91 days', now())`);
  const batch = 1_000_000;
  for (let start = 0; start < events; start += batch) {
    await pool.query(
      `INSERT INTO braid.canonical_events (project_id, event_id, channel, type, event, user_id, anonymous_id, device_key, session_id,
         event_time, received_at, properties, traits, context, source_stream, source_sequence)
       SELECT $1, 'e' || i, (ARRAY['web','mobile','backend'])[1 + (i % 3)], 'track',
              (ARRAY['Page Viewed','Page Viewed','Product Viewed','Signup Started','Signup Completed','Order Completed','Search','Settings Changed'])[1 + (hashint4(i::int) & 7)],
              CASE WHEN (i % $4) % 5 < 2 THEN 'u' || (i % $4) END, 'a' || (i % $4), 'a:a' || (i % $4),
              's' || (i % $4) || '-' || ((i / $4) / 4),
              now() - make_interval(secs => (abs(hashint8(i)) % (90 * 86400))),
              now(), '{}', '{}', '{}', 'BENCH', i
       FROM generate_series($2::bigint, $3::bigint) AS i`,
      [projectId, start + 1, Math.min(events, start + batch), persons],
    );
    console.error(`bench: loaded ${Math.min(events, start + batch)} events`);
  }
  await pool.query(`CREATE SCHEMA IF NOT EXISTS bench`);
  await pool.query(`DROP TABLE IF EXISTS bench.canonical_events_flat`);
  await pool.query(`CREATE TABLE bench.canonical_events_flat AS SELECT * FROM braid.canonical_events WHERE project_id = $1`, [projectId]);
  for (const cols of ['project_id, event_time', 'project_id, anonymous_id', 'project_id, user_id', 'project_id, channel, device_key, event_time']) {
    await pool.query(`CREATE INDEX ON bench.canonical_events_flat (${cols})`);
  }
  await pool.query(`ANALYZE braid.canonical_events`);
  await pool.query(`ANALYZE bench.canonical_events_flat`);
}
