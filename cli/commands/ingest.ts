import type { Command } from 'commander';
import { TemporalSessionSink } from '../../ingest/session-sink';
import { startIngest } from '../../ingest/start-ingest';
import { prepareNats, preparePostgres, prepareTemporal } from '../../runtime/platform';
import { announceReady } from '../../runtime/supervisor';
import { watchPool } from '../../runtime/metrics';
import { commandContext, onShutdown, serveProcessMetrics, stopInOrder } from '../process';

export function registerIngest(program: Command): void {
  program
    .command('ingest')
    .description('run the JetStream consumer that validates events and signals session workflows')
    .option('--dev-server', 'when TEMPORAL_ADDRESS is unset, use (or start) a local Temporal dev server: development only')
    .action(async (opts: { devServer?: boolean }) => {
      const { config, log } = commandContext('ingest');
      const temporal = await prepareTemporal(config, log, { command: 'ingest', devServer: opts.devServer === true });
      const pool = await preparePostgres(config, log, 'ingest');
      const nats = await prepareNats(config, log, 'braid-ingest');
      const sink = new TemporalSessionSink(temporal.client, pool, config.BRAID_TASK_QUEUE, config.BRAID_SESSION_IDLE);
      const consumer = await startIngest({ config, log, pool, js: nats.js, sink });
      watchPool(pool);
      const stopMetrics = await serveProcessMetrics(config, log);
      onShutdown(() =>
        stopInOrder(log, [
          () => consumer.stop(),
          () => stopMetrics(),
          () => nats.nc.drain(),
          () => temporal.connection.close(),
          async () => temporal.devServer?.stop(),
          () => pool.end(),
        ]),
      );
      // Signal handlers first, then the word that it runs: a stop that comes right after it must find them.
      console.error(`braid: ingest running (consumer ${config.BRAID_INGEST_DURABLE} on ${config.BRAID_INGEST_FILTER})`);
      announceReady();
    });
}
