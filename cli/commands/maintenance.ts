import type { Command } from 'commander';
import { createPool } from '../../db/client';
import { applyRetention } from '../../db/retention';
import { commandContext } from '../process';

export function registerMaintenance(program: Command): void {
  program
    .command('retention')
    .description("apply each project's retentionDays: drop expired monthly partitions whole, trim the rest")
    .action(async () => {
      const { config } = commandContext('retention');
      const pool = createPool(config.DATABASE_URL, 2);
      try {
        const result = await applyRetention(pool);
        console.log(`dropped ${result.droppedPartitions.length} partition(s)${result.droppedPartitions.length ? ` (${result.droppedPartitions.join(', ')})` : ''}; trimmed ${result.trimmedEvents} event(s)`);
      } finally {
        await pool.end();
      }
    });
}
