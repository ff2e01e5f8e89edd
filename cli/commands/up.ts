import type { Command } from 'commander';
import { TemporalSessionSink } from '../../ingest/session-sink';
import { startIngest } from '../../ingest/start-ingest';
import { prepareNats, preparePostgres, prepareTemporal } from '../../runtime/platform';
import { createBraidWorker } from '../../workers/braid-worker';
import { startMaintenance } from '../../workers/maintenance';
import { commandContext, onShutdown, stopInOrder } from '../process';
import { startApiServer } from './api';
import { runDemo } from './demo';

export function registerUp(program: Command): void {
  program
    .command('up')
    .description('bring braid up on one machine: Postgres, NATS and Temporal (started if needed), migrations, API, worker and ingest')
    .option('--demo', 'send demo traffic once everything is up and print what landed')
    .option('--exit-after-demo', 'stop again after the demo (for scripts)')
    .action(async (opts: { demo?: boolean; exitAfterDemo?: boolean }) => {
      const { config, log } = commandContext('up');
      console.error('braid: starting Postgres, NATS and Temporal where needed…');
      const pool = await preparePostgres(config, log);
      const nats = await prepareNats(config, log, 'braid-up');
      const temporal = await prepareTemporal(config, log);
      const { worker, connection } = await createBraidWorker({
        address: temporal.address,
        namespace: temporal.namespace,
        taskQueue: config.BRAID_TASK_QUEUE,
        pool,
        nc: nats.nc,
        log,
        operationChunk: config.BRAID_OPERATION_CHUNK,
      });
      const workerRun = worker.run();
      const stopMaintenance = startMaintenance(pool, log);
      const sink = new TemporalSessionSink(temporal.client, pool, config.BRAID_TASK_QUEUE, config.BRAID_SESSION_IDLE);
      const consumer = await startIngest({ config, log, pool, js: nats.js, sink });
      const api = await startApiServer({ config, log, pool, nc: nats.nc, temporal: temporal.client });
      console.error(`braid: up — API http://127.0.0.1:${config.BRAID_HTTP_PORT}, Postgres ${redact(config.DATABASE_URL)}, NATS ${config.NATS_URL}, Temporal ${temporal.address}${temporal.devServer ? ' (dev server, UI http://127.0.0.1:8233)' : ''}`);

      // Every step runs even if one before it fails, so the dev server never outlives braid up.
      const shutdown = () =>
        stopInOrder(log, [
          async () => stopMaintenance(),
          () => api.close(),
          () => consumer.stop(),
          async () => {
            worker.shutdown();
            await workerRun;
          },
          () => connection.close(),
          () => nats.nc.drain(),
          () => temporal.connection.close(),
          async () => temporal.devServer?.stop(),
          () => pool.end(),
        ]);
      onShutdown(shutdown);
      if (opts.demo) {
        await runDemo(pool, nats.nc);
        if (opts.exitAfterDemo) {
          await shutdown();
          return;
        }
      }
      console.error('braid: running; Ctrl-C stops it. Publish to braid.raw.<projectId>.<channel>; see `braid status`.');
      await workerRun;
    });
}

function redact(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}
