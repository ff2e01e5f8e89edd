import type { Command } from 'commander';
import { preparePostgres } from '../../runtime/platform';
import { commandContext } from '../process';

export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description('create the database if missing and apply migrations')
    .action(async () => {
      const { config, log } = commandContext('migrate');
      const pool = await preparePostgres(config, log);
      await pool.end();
      console.log('braid: migrations applied');
    });
}
