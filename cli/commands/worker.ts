import type { Command } from 'commander';
import { prepareNats, prepareTemporal, preparePostgres } from '../../runtime/platform';
import { createBraidWorker } from '../../workers/braid-worker';
import { startMaintenance } from '../../workers/maintenance';
import { commandContext, onShutdown } from '../process';

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('run the Temporal worker for session workflows')
    .action(async () => {
      const { config, log } = commandContext('worker');
      const pool = await preparePostgres(config, log);
      const nats = await prepareNats(config, log, 'braid-worker');
      const temporal = await prepareTemporal(config, log);
      const { worker, connection } = await createBraidWorker({
        address: temporal.address,
        namespace: temporal.namespace,
        taskQueue: config.BRAID_TASK_QUEUE,
        pool,
        nc: nats.nc,
        log,
        operationChunk: config.BRAID_OPERATION_CHUNK,
        ...(config.BRAID_WORKFLOW_BUNDLE ? { workflowBundle: { codePath: config.BRAID_WORKFLOW_BUNDLE } } : {}),
      });
      const stopMaintenance = startMaintenance(pool, log);
      onShutdown(async () => {
        stopMaintenance();
        worker.shutdown();
      });
      console.error(`braid: worker running (task queue ${config.BRAID_TASK_QUEUE}, Temporal ${temporal.address})`);
      await worker.run();
      await connection.close();
      await nats.nc.drain();
      await temporal.connection.close();
      await temporal.devServer?.stop();
      await pool.end();
    });
}
