import type { Command } from 'commander';
import { join } from 'node:path';
import { createPool } from '../../db/client';
import { exportProject } from '../../lake/export';
import { openLakeForQuery, openLakeStore } from '../../lake/open';
import { queryLake } from '../../lake/parquet';
import { LakeAccessError } from '../../lake/s3-client';
import { PROJECT_ID_PATTERN } from '../../contracts/envelope';
import { lakeTarget, lakeUrlOf, type LakeTarget } from '../../rules/lake-layout';
import type { Config } from '../../runtime/config';
import { cacheDir } from '../../runtime/paths';
import { commandContext } from '../process';
import { renderTable } from '../table';

/** Exit status for a lake that cannot work as configured (the URL, or the AWS variables for a bucket). */
const BAD_SETTING = 2;

/**
 * The lake: --to/--lake, else BRAID_LAKE_URL, else braid up's default under
 * BRAID_STATE_DIR; a directory or s3://bucket/prefix. Exits 2 on a bad one.
 */
function lakeTargetOf(config: Config, given: string | undefined): LakeTarget {
  const location = lakeTarget(given ?? config.BRAID_LAKE_URL ?? join(config.BRAID_STATE_DIR, 'lake'), process.cwd());
  if (!location.ok) {
    console.error(`braid: ${given === undefined ? 'BRAID_LAKE_URL' : 'the lake'}: ${location.reason}`);
    process.exit(BAD_SETTING);
  }
  return location.target;
}

/** Says why a bucket lake cannot be opened (the rule and the variable) and exits 2. */
function refuseSettings(target: LakeTarget, reason: string): never {
  console.error(`braid: ${lakeUrlOf(target)}: ${reason}`);
  process.exit(BAD_SETTING);
}

/** An object store's refusal or outage: its one-line explanation and exit 1; anything else is rethrown. */
function failOnLakeAccess(error: unknown): never {
  if (!(error instanceof LakeAccessError)) throw error;
  console.error(`braid: ${error.message}`);
  process.exit(1);
}

/** `braid lake export|query` (contract section 6): Postgres directly (DATABASE_URL) and DuckDB in this process. */
export function registerLake(program: Command): void {
  const lake = program.command('lake').description('the columnar copy of canonical events: Parquet files partitioned by project and event date, in a directory or an S3 bucket');
  lake
    .command('export')
    .description('write every partition of a project to the lake now, from one snapshot (dates without events any more are removed)')
    .requiredOption('-p, --project <projectId>', 'the project')
    .option('--to <lake>', 'a directory or s3://bucket/prefix (default: BRAID_LAKE_URL, else .braid/lake)')
    .action(async (opts: { project: string; to?: string }) => {
      const { config } = commandContext('lake');
      if (!PROJECT_ID_PATTERN.test(opts.project)) {
        console.error(`braid: --project: ${JSON.stringify(opts.project)} is not a project id (${PROJECT_ID_PATTERN.source})`);
        process.exit(BAD_SETTING);
      }
      const target = lakeTargetOf(config, opts.to);
      const opened = await openLakeStore(target, process.env);
      if (!opened.ok) refuseSettings(target, opened.reason);
      const { store } = opened;
      const pool = createPool(config.DATABASE_URL, 2);
      try {
        const started = Date.now();
        const outcome = await exportProject(pool, store, opts.project, (partition, rows) =>
          console.error(`braid: ${partition.projectId} ${partition.eventDate}: ${rows} rows`),
        ).catch(failOnLakeAccess);
        console.log(
          `exported ${outcome.partitions} partitions, ${outcome.rows} rows of project ${opts.project} to ${store.url}` +
            `${outcome.removed ? `; removed ${outcome.removed} dates without events` : ''} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
        );
      } finally {
        store.close();
        await pool.end();
      }
    });
  lake
    .command('query <sql>')
    .description(
      'run DuckDB SQL over the lake; the table `events` has the columns of analytics.events plus event_date. ' +
        'A bucket lake is first mirrored to the braid cache (only changed files are downloaded)',
    )
    .option('--lake <lake>', 'a directory or s3://bucket/prefix (default: BRAID_LAKE_URL, else .braid/lake)')
    .option('--json', 'print one JSON object per row')
    .action(async (query: string, opts: { lake?: string; json?: boolean }) => {
      const { config } = commandContext('lake');
      const target = lakeTargetOf(config, opts.lake);
      const readable = await openLakeForQuery(target, process.env, cacheDir(config.BRAID_CACHE_DIR)).catch(failOnLakeAccess);
      if (!readable.ok) refuseSettings(target, readable.reason);
      if (readable.mirror) {
        const m = readable.mirror;
        console.error(`braid: ${lakeUrlOf(target)} mirrored in ${readable.dir}: ${m.files} files, ${m.downloaded} downloaded (${m.bytes} bytes), ${m.removed} removed`);
      }
      try {
        const result = await queryLake(readable.dir, query);
        if (opts.json) for (const row of result.rows) console.log(JSON.stringify(row));
        else console.log(renderTable(result.rows, result.columns));
      } catch (error) {
        // DuckDB's own message says what is wrong with the SQL.
        console.error(`braid: the query failed: ${(error as Error).message}`);
        process.exit(1);
      }
    });
}
