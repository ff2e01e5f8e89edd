/**
 * The ingest process of the benchmark's raw variant: the same consumer,
 * validation and write path, with the Temporal hand-off replaced by a direct
 * batched insert. Run by `braid bench` as its own process.
 */
import { startIngest } from '../ingest/start-ingest';
import { loadConfig } from '../runtime/config';
import { createLogger } from '../runtime/logger';
import { prepareNats, preparePostgres } from '../runtime/platform';
import { announceReady } from '../runtime/supervisor';
import { DirectSink } from './direct-sink';

async function main() {
  const config = loadConfig();
  const log = createLogger(config.BRAID_LOG_LEVEL, 'braid-raw-ingest');
  const pool = await preparePostgres(config, log);
  const nats = await prepareNats(config, log, 'braid-raw-ingest');
  const consumer = await startIngest({ config, log, pool, js: nats.js, sink: new DirectSink(pool, log) });
  console.error('braid: ingest running (raw pipeline, no Temporal)');
  announceReady();
  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      await consumer.stop();
      await nats.nc.drain();
      await pool.end();
      process.exit(0);
    })());
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  // Started by the benchmark with an IPC channel: when the benchmark is gone, so is this process.
  process.once('disconnect', () => void stop());
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
