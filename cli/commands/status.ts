import type { Command } from 'commander';
import { createPool } from '../../db/client';
import { getAccounting } from '../../db/accounting';
import { commandContext } from '../process';
import { renderTable } from '../table';

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('accounting per project: accepted = canonical + rejected + suppressed + duplicates once drained')
    .option('-p, --project <projectId>', 'one project only')
    .option('--json', 'print JSON')
    .action(async (opts: { project?: string; json?: boolean }) => {
      const { config } = commandContext('status');
      const pool = createPool(config.DATABASE_URL, 2);
      try {
        const rows = await getAccounting(pool, opts.project);
        console.log(opts.json ? JSON.stringify(rows) : renderTable(rows as unknown as Record<string, unknown>[]));
      } finally {
        await pool.end();
      }
    });
}
