import type { JetStreamClient } from 'nats';
import type pg from 'pg';
import type { Config } from '../runtime/config';
import type { Logger } from '../runtime/logger';
import { IngestConsumer } from './consumer';
import { ProjectDirectory } from './project-directory';
import type { SessionSink } from './session-sink';

/** Signals stay well under Temporal's 2 MB payload limit. */
export const MAX_GROUP_BYTES = 512 * 1024;

export interface StartIngestDeps {
  config: Config;
  log: Logger;
  pool: pg.Pool;
  js: JetStreamClient;
  /** Where accepted events go: the session workflows (TemporalSessionSink), or the benchmark's raw writer. */
  sink: SessionSink;
}

/** Builds the ingest consumer from configuration and starts it. */
export async function startIngest(deps: StartIngestDeps): Promise<IngestConsumer> {
  const { config } = deps;
  const consumer = new IngestConsumer(
    {
      js: deps.js,
      pool: deps.pool,
      directory: new ProjectDirectory(deps.pool),
      sink: deps.sink,
      log: deps.log.child({ component: 'ingest' }),
    },
    {
      durable: config.BRAID_INGEST_DURABLE,
      fetchSize: config.BRAID_INGEST_FETCH,
      lingerMs: config.BRAID_INGEST_LINGER,
      maxGroupEvents: config.BRAID_INGEST_MAX_GROUP,
      maxGroupBytes: MAX_GROUP_BYTES,
      maxInflightSignals: config.BRAID_INGEST_MAX_INFLIGHT_SIGNALS,
      maxDeliver: config.BRAID_INGEST_MAX_DELIVER,
      hosting: config.BRAID_SESSION_HOSTING,
    },
  );
  await consumer.start();
  return consumer;
}
