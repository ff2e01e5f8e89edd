import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { isDeepStrictEqual } from 'node:util';
import type pg from 'pg';
import { postgresErrorCode } from '../db/postgres-errors';
import { exportProject } from '../lake/export';
import { openLake } from '../lake/parquet';
import { projectDir } from '../rules/lake-layout';
import { atLeast, atMost, type Goal } from './goals';
import { ratio, round } from './harness/figures';
import { medianOfRuns, type Timed } from './harness/timing';
import { lakeAnalyses } from './lake-analyses';
import { compareAnswers, type AnswerRow } from './same-answer';

/**
 * The analytics bench's second half: the bench project exported to a lake
 * (once per data set), its size on disk against Postgres's, and the same
 * analyses timed on Postgres and on DuckDB over the lake, each answer
 * checked equal on both engines.
 */

/** The analyses' range: the last 30 days of the data, conversions within 7 days. */
const RANGE_DAYS = 30;
const WINDOW_DAYS = 7;
/** In the lake directory, beside events/: which data the lake holds and what exporting it took. */
const MARKER = 'bench-export.json';

export interface LakeAnalysisFigures {
  /** Null when Postgres's plan did not finish within the statement timeout (then see the `noNestLoop` figures). */
  postgresMs: number | null;
  duckdbMs: number;
  /** postgres / duckdb: how many times faster DuckDB answered. */
  ratio: number | null;
  /** Null when neither Postgres plan answered. */
  equal: boolean | null;
  difference?: string;
  /** When the plan timed out: the timeout, the ratio it bounds from below, and the same query with nested loops off (its answer is the one compared). */
  postgresTimeoutMs?: number;
  ratioAtLeast?: number | null;
  postgresNoNestLoopMs?: number | null;
  ratioNoNestLoop?: number | null;
}

export interface LakeReport {
  dir: string;
  export: { ms: number; rows: number; partitions: number; rowsPerSecond: number | null; reused: boolean };
  lakeBytes: number;
  /** The canonical_events partitions with their indexes and TOAST. */
  postgresBytes: number;
  /** The same without indexes (heap and TOAST). */
  postgresTableBytes: number;
  /** lake / postgres. */
  sizeRatio: number | null;
  rangeDays: number;
  windowDays: number;
  analyses: Record<string, LakeAnalysisFigures>;
  allEqual: boolean;
  goals: { funnelDuckdbSpeedup: Goal; lakeSizeShare: Goal };
}

interface ExportMarker {
  fingerprint: Record<string, unknown>;
  ms: number;
  rows: number;
  partitions: number;
}

/** What Postgres answered in time: as planned, or, when that timed out, with nested loops off. */
interface PostgresTiming {
  asPlanned: Timed<AnswerRow[]> | null;
  noNestLoop?: Timed<AnswerRow[]> | null;
}

export async function compareWithLake(
  pool: pg.Pool,
  lakeDir: string,
  projectId: string,
  end: Date,
  options: { runs: number; postgresTimeoutMs: number },
): Promise<LakeReport> {
  const { runs, postgresTimeoutMs } = options;
  const exported = await exportOnce(pool, lakeDir, projectId);
  const sizes = await sizesOf(pool, lakeDir, projectId);
  console.error(
    `bench: lake ${mb(sizes.lakeBytes)} vs Postgres ${mb(sizes.postgresBytes)} with indexes (${mb(sizes.postgresTableBytes)} without): ` +
      `${ratio(sizes.lakeBytes, sizes.postgresBytes)} of it`,
  );

  const analyses: Record<string, LakeAnalysisFigures> = {};
  const from = new Date(end.getTime() - RANGE_DAYS * 86_400_000);
  const lake = await openLake(lakeDir);
  const client = await pool.connect().catch((error: unknown) => {
    lake.close();
    throw error;
  });
  try {
    // An analyst gives up at some point too; a plan that would take hours is reported as such.
    await client.query(`SET statement_timeout = ${Math.round(postgresTimeoutMs)}`);
    // Every call planned for its arguments, as an analyst's call in a session of their own is: without
    // this the functions' statements switch to a generic plan from the sixth call on, in the middle of the runs.
    await client.query('SET plan_cache_mode = force_custom_plan');
    for (const a of lakeAnalyses({ projectId, from, to: end, windowDays: WINDOW_DAYS })) {
      const postgres = await timeOnPostgres(client, a.postgres, runs);
      const duckdb = await medianOfRuns(async () => (await lake.query(a.duckdb)).rows, runs);
      const answered = postgres.asPlanned ?? postgres.noNestLoop ?? null;
      const same = answered ? compareAnswers(answered.answer, duckdb.answer, a.tolerance) : null;
      const figures: LakeAnalysisFigures = {
        postgresMs: postgres.asPlanned?.ms ?? null,
        duckdbMs: duckdb.ms,
        ratio: postgres.asPlanned ? ratio(postgres.asPlanned.ms, duckdb.ms) : null,
        equal: same?.equal ?? null,
        ...(same && !same.equal ? { difference: same.difference } : {}),
      };
      if (!postgres.asPlanned) {
        Object.assign(figures, {
          postgresTimeoutMs,
          ratioAtLeast: ratio(postgresTimeoutMs, duckdb.ms),
          postgresNoNestLoopMs: postgres.noNestLoop?.ms ?? null,
          ratioNoNestLoop: postgres.noNestLoop ? ratio(postgres.noNestLoop.ms, duckdb.ms) : null,
        });
      }
      analyses[a.name] = figures;
      const timing = postgres.asPlanned
        ? `${postgres.asPlanned.ms} ms Postgres vs ${duckdb.ms} ms DuckDB (${figures.ratio}×)`
        : `Postgres did not finish within ${postgresTimeoutMs / 1000} s (≥ ${figures.ratioAtLeast}×); ` +
          `with nested loops off ${postgres.noNestLoop ? `${postgres.noNestLoop.ms} ms (${figures.ratioNoNestLoop}×)` : 'neither'}; ${duckdb.ms} ms DuckDB`;
      const verdict = !same
        ? 'ANSWERS NOT COMPARED (Postgres never answered)'
        : same.equal
          ? `same answer${duckdb.answer.length <= 4 ? ` ${JSON.stringify(duckdb.answer)}` : ` (${duckdb.answer.length} rows)`}`
          : `ANSWERS DIFFER: ${same.difference}`;
      console.error(`bench: ${a.name}: ${timing}; ${verdict}`);
    }
  } finally {
    lake.close();
    client.release(true); // its settings go with it
  }

  const sizeRatio = sizes.postgresBytes > 0 ? round(sizes.lakeBytes / sizes.postgresBytes, 4) : null;
  const funnel = Object.entries(analyses).find(([name]) => name.startsWith('funnel_'))?.[1];
  return {
    dir: lakeDir,
    export: exported,
    ...sizes,
    sizeRatio,
    rangeDays: RANGE_DAYS,
    windowDays: WINDOW_DAYS,
    analyses,
    allEqual: Object.values(analyses).every((a) => a.equal === true),
    goals: {
      funnelDuckdbSpeedup: atLeast(5, funnel ? (funnel.ratio ?? funnel.ratioAtLeast) : null, '×'),
      lakeSizeShare: atMost(0.2, sizeRatio, ' of Postgres'),
    },
  };
}

/**
 * Times a query as planned; when the statement timeout cancels it, times it
 * again with nested loops off (the same query and answer, another join
 * strategy), so there is still a Postgres answer to check DuckDB against.
 */
async function timeOnPostgres(client: pg.PoolClient, sql: string, runs: number): Promise<PostgresTiming> {
  const rows = async () => (await client.query(sql)).rows as AnswerRow[];
  const timedOut = (error: unknown) => postgresErrorCode(error) === '57014';
  try {
    return { asPlanned: await medianOfRuns(rows, runs) };
  } catch (error) {
    if (!timedOut(error)) throw error;
  }
  await client.query('SET enable_nestloop = off');
  try {
    return { asPlanned: null, noNestLoop: await medianOfRuns(rows, runs) };
  } catch (error) {
    if (!timedOut(error)) throw error;
    return { asPlanned: null, noNestLoop: null };
  } finally {
    await client.query('RESET enable_nestloop');
  }
}

/**
 * Exports the project unless the lake already holds this data (the marker's
 * fingerprint: events, their first and last times, persons); the marker is
 * written only after a whole export, so an interrupted one is redone.
 */
async function exportOnce(pool: pg.Pool, lakeDir: string, projectId: string): Promise<LakeReport['export']> {
  const fingerprint = await fingerprintOf(pool, projectId);
  const markerPath = join(lakeDir, MARKER);
  const marker = await readMarker(markerPath);
  if (marker && isDeepStrictEqual(marker.fingerprint, fingerprint)) {
    console.error(`bench: the lake in ${lakeDir} already holds this data (exported in ${round(marker.ms / 1000, 1)} s)`);
    return { ms: marker.ms, rows: marker.rows, partitions: marker.partitions, rowsPerSecond: perSecond(marker.rows, marker.ms), reused: true };
  }
  await rm(markerPath, { force: true });
  console.error(`bench: exporting ${fingerprint.events} events to the lake in ${lakeDir}…`);
  const started = performance.now();
  let written = 0;
  const outcome = await exportProject(pool, lakeDir, projectId, (partition) => {
    if (++written % 10 === 0) console.error(`bench: exported ${written} partitions (up to ${partition.eventDate})`);
  });
  const ms = round(performance.now() - started);
  await mkdir(lakeDir, { recursive: true });
  await writeFile(markerPath, `${JSON.stringify({ fingerprint, ms, rows: outcome.rows, partitions: outcome.partitions } satisfies ExportMarker)}\n`);
  console.error(`bench: exported ${outcome.rows} rows in ${outcome.partitions} partitions in ${round(ms / 1000, 1)} s (${perSecond(outcome.rows, ms)} rows/s)`);
  return { ms, rows: outcome.rows, partitions: outcome.partitions, rowsPerSecond: perSecond(outcome.rows, ms), reused: false };
}

async function fingerprintOf(pool: pg.Pool, projectId: string) {
  const events = await pool.query<{ events: number; first: string | null; last: string | null }>(
    `SELECT count(*)::bigint AS events, min(event_time)::text AS first, max(event_time)::text AS last FROM braid.canonical_events WHERE project_id = $1`,
    [projectId],
  );
  const persons = await pool.query<{ persons: number }>(`SELECT count(DISTINCT person_id)::bigint AS persons FROM braid.identities WHERE project_id = $1`, [projectId]);
  return { projectId, ...events.rows[0]!, persons: persons.rows[0]!.persons };
}

async function readMarker(path: string): Promise<ExportMarker | null> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as ExportMarker;
  } catch {
    return null;
  }
}

async function sizesOf(pool: pg.Pool, lakeDir: string, projectId: string) {
  // The bench project is meant to be the database's only one; say so when it is not (the partitions would hold others' rows too).
  const others = await pool.query<{ others: boolean }>(`SELECT EXISTS (SELECT 1 FROM braid.canonical_events WHERE project_id <> $1) AS others`, [projectId]);
  if (others.rows[0]?.others) console.error('bench: WARNING: braid_bench_analytics holds events of other projects; the Postgres size includes them');
  const pg = await pool.query<{ total: number; heap: number }>(
    `SELECT coalesce(sum(pg_total_relation_size(relid)), 0)::bigint AS total, coalesce(sum(pg_table_size(relid)), 0)::bigint AS heap
     FROM pg_partition_tree('braid.canonical_events') WHERE isleaf`,
  );
  return { lakeBytes: await bytesUnder(projectDir(lakeDir, projectId)), postgresBytes: pg.rows[0]!.total, postgresTableBytes: pg.rows[0]!.heap };
}

/** The size of every file under a directory. */
async function bytesUnder(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    total += entry.isDirectory() ? await bytesUnder(path) : (await stat(path)).size;
  }
  return total;
}

function perSecond(rows: number, ms: number): number | null {
  return ms > 0 ? Math.round((rows * 1000) / ms) : null;
}

function mb(bytes: number): string {
  return `${round(bytes / 1024 ** 2, 1)} MiB`;
}
