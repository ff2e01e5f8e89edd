import type { Command } from 'commander';
import { prepareTemporal, preparePostgres } from '../../runtime/platform';
import { createSessionWorker } from '../../workers/session-worker';
import { commandContext, onShutdown } from '../process';

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('run the Temporal worker for session workflows')
    .action(async () => {
      const { config, log } = commandContext('worker');
      const pool = await preparePostgres(config, log);
      const temporal = await prepareTemporal(config, log);
      const { worker, connection } = await createSessionWorker({
        address: temporal.address,
        namespace: temporal.namespace,
        taskQueue: config.BRAID_TASK_QUEUE,
        pool,
        log,
      });
      onShutdown(async () => worker.shutdown());
      console.error(`braid: worker running (task queue ${config.BRAID_TASK_QUEUE}, Temporal ${temporal.address})`);
      await worker.run();
      await connection.close();
      await temporal.connection.close();
      await temporal.devServer?.stop();
      await pool.end();
    });
}
