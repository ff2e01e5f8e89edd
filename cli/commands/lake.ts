import type { Command } from 'commander';
import { join } from 'node:path';
import { createPool } from '../../db/client';
import { exportProject } from '../../lake/export';
import { queryLake } from '../../lake/parquet';
import { PROJECT_ID_PATTERN } from '../../contracts/envelope';
import { lakeLocation } from '../../rules/lake-layout';
import type { Config } from '../../runtime/config';
import { commandContext } from '../process';
import { renderTable } from '../table';

/** The lake's directory: --to/--lake, else BRAID_LAKE_URL, else braid up's default under BRAID_STATE_DIR. Exits 2 on a bad one. */
function lakeDirOf(config: Config, given: string | undefined): string {
  const location = lakeLocation(given ?? config.BRAID_LAKE_URL ?? join(config.BRAID_STATE_DIR, 'lake'), process.cwd());
  if (!location.ok) {
    console.error(`braid: ${given === undefined ? 'BRAID_LAKE_URL' : 'the lake'}: ${location.reason}`);
    process.exit(2);
  }
  return location.dir;
}

/** `braid lake export|query` (contract section 6): Postgres directly (DATABASE_URL) and DuckDB in this process. */
export function registerLake(program: Command): void {
  const lake = program.command('lake').description('the columnar copy of canonical events: Parquet files partitioned by project and event date');
  lake
    .command('export')
    .description("write every partition of a project to the lake now, from one snapshot (dates without events any more are removed)")
    .requiredOption('-p, --project <projectId>', 'the project')
    .option('--to <dir>', 'the lake directory (default: BRAID_LAKE_URL, else .braid/lake)')
    .action(async (opts: { project: string; to?: string }) => {
      const { config } = commandContext('lake');
      if (!PROJECT_ID_PATTERN.test(opts.project)) {
        console.error(`braid: --project: ${JSON.stringify(opts.project)} is not a project id (${PROJECT_ID_PATTERN.source})`);
        process.exit(2);
      }
      const dir = lakeDirOf(config, opts.to);
      const pool = createPool(config.DATABASE_URL, 2);
      try {
        const started = Date.now();
        const outcome = await exportProject(pool, dir, opts.project, (partition, rows) =>
          console.error(`braid: ${partition.projectId} ${partition.eventDate}: ${rows} rows`),
        );
        console.log(
          `exported ${outcome.partitions} partitions, ${outcome.rows} rows of project ${opts.project} to ${dir}` +
            `${outcome.removed ? `; removed ${outcome.removed} dates without events` : ''} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
        );
      } finally {
        await pool.end();
      }
    });
  lake
    .command('query <sql>')
    .description('run DuckDB SQL over the lake; the table `events` has the columns of analytics.events plus event_date')
    .option('--lake <dir>', 'the lake directory (default: BRAID_LAKE_URL, else .braid/lake)')
    .option('--json', 'print one JSON object per row')
    .action(async (query: string, opts: { lake?: string; json?: boolean }) => {
      const { config } = commandContext('lake');
      try {
        const result = await queryLake(lakeDirOf(config, opts.lake), query);
        if (opts.json) for (const row of result.rows) console.log(JSON.stringify(row));
        else console.log(renderTable(result.rows, result.columns));
      } catch (error) {
        // DuckDB's own message says what is wrong with the SQL.
        console.error(`braid: the query failed: ${(error as Error).message}`);
        process.exit(1);
      }
    });
}
