import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import { activeTracing } from './tracing';
import { join, resolve } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { JetStreamClient, JetStreamManager, NatsConnection } from 'nats';
import type pg from 'pg';
import { createPool, pingPostgres, PROCESS_ROLES, type ProcessRole } from '../db/client';
import { postgresErrorCode } from '../db/postgres-errors';
import { runMigrations } from '../db/migrate';
import { ensureIngestConsumer, ensureRawStream } from './services/jetstream';
import { ConfigError, type Config } from './config';
import { natsTls, temporalTls } from './tls';
import type { Logger } from './logger';
import { connectNats, ensureNats } from './services/nats';
import { ensurePostgres } from './services/postgres';
import { isTemporalReady, resolveTemporalBinary, startDevServer, type DevServer } from './services/temporal';
import { waitFor } from './services/local-process';


const startedHere = new Set<'Postgres' | 'NATS'>();

/** The local services this process started because they were down (braid up keeps those running). */
export function servicesStartedHere(): ReadonlySet<'Postgres' | 'NATS'> {
  return startedHere;
}

/**
 * Postgres ready, the database created, migrations applied (as DATABASE_URL's
 * user, unless BRAID_MIGRATE_ON_START=false). With `role` (and BRAID_DB_ROLES
 * on), the pool returned acts as that process's least-privilege role.
 */
export async function preparePostgres(config: Config, log: Logger, role?: ProcessRole): Promise<pg.Pool> {
  if (await ensurePostgres(config.DATABASE_URL, log)) startedHere.add('Postgres');
  const owner = createPool(config.DATABASE_URL, role ? 1 : 20);
  if (config.BRAID_MIGRATE_ON_START) await runMigrations(owner);
  if (!role || config.BRAID_DB_ROLES === 'off') return owner;
  await owner.end();
  const pool = createPool(config.DATABASE_URL, 20, role);
  try {
    await pingPostgres(pool);
  } catch (error) {
    await pool.end();
    if (postgresErrorCode(error) !== '42501') throw error;
    const user = new URL(config.DATABASE_URL).username;
    throw new ConfigError([
      `DATABASE_URL: its user ${user} may not act as ${PROCESS_ROLES[role]}, the role \`braid ${role}\` runs as. ` +
        `Run \`GRANT ${PROCESS_ROLES[role]} TO ${user}\` as the database owner, or set BRAID_DB_ROLES=off to run as ${user} itself.`,
    ]);
  }
  return pool;
}

export interface NatsHandles {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
}

/** NATS up, BRAID_RAW created or updated, and the ingest consumer in place. */
export async function prepareNats(config: Config, log: Logger, name: string): Promise<NatsHandles> {
  if (await ensureNats(config.NATS_URL, log)) startedHere.add('NATS');
  const nc = await connectNats(config.NATS_URL, name, natsTls(config));
  const jsm = await nc.jetstreamManager();
  await ensureRawStream(jsm, { duplicateWindowMs: config.BRAID_RAW_DUPLICATE_WINDOW, replicas: config.BRAID_RAW_REPLICAS });
  await ensureIngestConsumer(jsm, {
    durable: config.BRAID_INGEST_DURABLE,
    filterSubject: config.BRAID_INGEST_FILTER,
    ackWaitMs: config.BRAID_INGEST_ACK_WAIT,
    maxAckPending: Math.max(1_000, config.BRAID_INGEST_FETCH * 20),
  });
  return { nc, js: nc.jetstream(), jsm };
}

export interface TemporalHandles {
  address: string;
  namespace: string;
  connection: Connection;
  client: Client;
  /** Set when this process started the dev server (and so stops it on exit). */
  devServer: DevServer | null;
}

/**
 * TEMPORAL_ADDRESS when set. Otherwise, only for `braid up` or a command run
 * with `--dev-server`: the dev server on 127.0.0.1:7233, reused when one runs,
 * else started from the Temporal CLI (found or built once into the cache)
 * with a SQLite file under BRAID_STATE_DIR so state survives restarts. Any
 * other process refuses to start, so production never runs on a dev server
 * by accident.
 */
export async function prepareTemporal(config: Config, log: Logger, options: { command: string; devServer: boolean }): Promise<TemporalHandles> {
  const namespace = config.TEMPORAL_NAMESPACE;
  let address = config.TEMPORAL_ADDRESS;
  let devServer: DevServer | null = null;
  if (!address && !options.devServer) {
    throw new ConfigError([
      `TEMPORAL_ADDRESS: not set, and \`braid ${options.command}\` does not start a Temporal server of its own. ` +
        `Point it at your Temporal frontend (e.g. TEMPORAL_ADDRESS=temporal:7233), or pass --dev-server to use a local development server (\`braid up\` does this for you).`,
    ]);
  }
  if (address) {
    await waitFor(`Temporal at ${address} (TEMPORAL_ADDRESS), namespace ${namespace}`, () => isTemporalReady(address as string, namespace, temporalTls(config)), 60_000, 500);
  } else if (await isTemporalReady(devServerAddress(config), namespace)) {
    address = devServerAddress(config);
  } else {
    devServer = await startLocalDevServer(config, log);
    address = devServer.address;
  }
  const tls = temporalTls(config);
  const connection = await Connection.connect({ address, ...(tls ? { tls } : {}) });
  const client = temporalClient(connection, namespace);
  return { address, namespace, connection, client, devServer };
}

/** Where the local dev server listens (BRAID_TEMPORAL_DEV_PORT). */
export function devServerAddress(config: Config): string {
  return `127.0.0.1:${config.BRAID_TEMPORAL_DEV_PORT}`;
}

/**
 * Starts the local dev server: the Temporal CLI (found or built once into the
 * cache), its SQLite file and log under BRAID_STATE_DIR, so its state survives
 * a restart of the server or of braid.
 */
export async function startLocalDevServer(config: Config, log: Logger): Promise<DevServer> {
  const binary = await resolveTemporalBinary({ explicitPath: config.BRAID_TEMPORAL_BIN, cache: config.BRAID_CACHE_DIR, log });
  const stateDir = resolve(config.BRAID_STATE_DIR);
  const devServer = await startDevServer({
    binary,
    port: config.BRAID_TEMPORAL_DEV_PORT,
    ...(config.BRAID_TEMPORAL_UI_PORT > 0 ? { uiPort: config.BRAID_TEMPORAL_UI_PORT } : {}),
    dbFile: join(stateDir, 'temporal.sqlite'),
    logFile: devServerLogFile(config),
    namespace: config.TEMPORAL_NAMESPACE,
    log,
  });
  log.info({ address: devServer.address, ui: config.BRAID_TEMPORAL_UI_PORT > 0 ? `http://127.0.0.1:${config.BRAID_TEMPORAL_UI_PORT}` : null }, 'Temporal dev server is up');
  return devServer;
}

/** The dev server's log file. */
export function devServerLogFile(config: Config): string {
  return join(resolve(config.BRAID_STATE_DIR), 'temporal.log');
}

/** A Temporal client; when this process traces, Temporal's client interceptor carries the active span into workflow headers. */
export function temporalClient(connection: Connection, namespace: string): Client {
  return new Client({ connection, namespace, ...(activeTracing() ? { interceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] } } : {}) });
}
