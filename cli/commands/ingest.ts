import type { Command } from 'commander';
import { startIngest } from '../../ingest/start-ingest';
import { prepareNats, preparePostgres, prepareTemporal } from '../../runtime/platform';
import { commandContext, onShutdown } from '../process';

export function registerIngest(program: Command): void {
  program
    .command('ingest')
    .description('run the JetStream consumer that validates events and signals session workflows')
    .action(async () => {
      const { config, log } = commandContext('ingest');
      const pool = await preparePostgres(config, log);
      const nats = await prepareNats(config, log, 'braid-ingest');
      const temporal = await prepareTemporal(config, log);
      const consumer = await startIngest({ config, log, pool, js: nats.js, client: temporal.client });
      log.info({ durable: config.BRAID_INGEST_DURABLE, filter: config.BRAID_INGEST_FILTER }, 'ingest running');
      onShutdown(async () => {
        await consumer.stop();
        await nats.nc.drain();
        await temporal.connection.close();
        await temporal.devServer?.stop();
        await pool.end();
      });
    });
}
