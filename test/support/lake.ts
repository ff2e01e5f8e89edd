import { isDeepStrictEqual } from 'node:util';
import type pg from 'pg';
import { expect } from 'vitest';
import { queryLake } from '../../lake/parquet';
import { sleep } from './events';

/**
 * Comparing a lake with Postgres, for the lake tests (a directory lake in
 * lake.test.ts, a bucket lake in lake-s3.test.ts): a project's rows as both
 * sides hold them, and waiting until the export has caught up.
 */

/** A row as both sides hold it: ids, person, date (the lake's from the partition path), event time to the microsecond, properties, context. */
export type LakeRow = { event_id: string; person_id: string | null; event_date: string; us: string; properties: unknown; context: unknown };

/** The project's rows in analytics.events, by event id. */
export async function postgresRows(pool: pg.Pool, projectId: string): Promise<LakeRow[]> {
  const res = await pool.query<LakeRow>(
    `SELECT event_id, person_id, (event_time AT TIME ZONE 'UTC')::date::text AS event_date,
            ((extract(epoch FROM event_time) * 1000000)::bigint)::text AS us, properties, context
     FROM analytics.events WHERE project_id = $1 ORDER BY event_id`,
    [projectId],
  );
  return res.rows;
}

/** The project's rows in the lake directory `dir` (DuckDB over its partitions), by event id. */
export async function lakeRows(dir: string, projectId: string): Promise<LakeRow[]> {
  const result = await queryLake(
    dir,
    `SELECT event_id, person_id, event_date::VARCHAR AS event_date, epoch_us(event_time)::VARCHAR AS us, properties::VARCHAR AS properties, context::VARCHAR AS context
     FROM events WHERE project_id = '${projectId}' ORDER BY event_id`,
  );
  return result.rows.map((r) => ({ ...r, properties: JSON.parse(r.properties as string), context: JSON.parse(r.context as string) }) as LakeRow);
}

/** Rows per date, in date order. */
export function byDate(rows: LakeRow[]): [string, number][] {
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(r.event_date, (counts.get(r.event_date) ?? 0) + 1);
  return [...counts].sort(([a], [b]) => a.localeCompare(b));
}

/**
 * Waits until the lake's rows equal Postgres's (the export runs on its own
 * schedule), asserts it, and returns the rows per date. Rows carry the date
 * of the partition they were read from, so each partition is compared.
 */
export async function caughtUp(sides: { postgres: () => Promise<LakeRow[]>; lake: () => Promise<LakeRow[]> }, timeoutMs = 60_000): Promise<[string, number][]> {
  const deadline = Date.now() + timeoutMs;
  let [pg, lake] = [await sides.postgres(), await sides.lake()];
  while (Date.now() < deadline && !isDeepStrictEqual(pg, lake)) {
    await sleep(300);
    [pg, lake] = [await sides.postgres(), await sides.lake()];
  }
  expect(lake).toEqual(pg);
  return byDate(pg);
}
