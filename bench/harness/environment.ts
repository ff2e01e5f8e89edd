import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { JetStreamClient, JetStreamManager, NatsConnection } from 'nats';
import type pg from 'pg';
import { ensureRawStream } from '../../runtime/services/jetstream';
import { RAW_STREAM } from '../../contracts/wire';
import { loadConfig } from '../../runtime/config';
import { createLogger, type Logger } from '../../runtime/logger';
import { preparePostgres } from '../../runtime/platform';
import { connectNats, startPrivateNats, type PrivateNats } from '../../runtime/services/nats';
import { dropDatabase } from '../../db/database';
import { resolveTemporalBinary } from '../../runtime/services/temporal';
import { WORKFLOWS_PATH } from '../../workers/braid-worker';

/** What every scenario of one benchmark run shares. */
export interface BenchEnvironment {
  /** Lower-case letters and digits; part of every project, queue and consumer name of the run. */
  runId: string;
  log: Logger;
  pool: pg.Pool;
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  /** The environment child processes start from: the scratch database, the run's NATS, the prebuilt workflow bundle. */
  childEnv: NodeJS.ProcessEnv;
  temporalBinary: string;
  namespace: string;
  /** Temporary files of the run (Temporal databases and logs, the workflow bundle). */
  stateDir: string;
  /** The run's own nats-server, when it started one. */
  natsPid: number | undefined;
  /** Durable consumers the run created on BRAID_RAW; deleted at the end. */
  consumers: Set<string>;
}

/**
 * Brings up what the scenarios share: a scratch database
 * `braid_bench_<runId>` (migrated, dropped at the end), a nats-server of the
 * run's own when one is installed and NATS_URL is unset (bench traffic never
 * reaches the BRAID_RAW of a braid on this machine), and the workflow bundle,
 * built once for every worker of the run. Each pipeline starts its own
 * Temporal dev server (see pipeline.ts).
 */
export async function startEnvironment(): Promise<{ env: BenchEnvironment; stop: () => Promise<void> }> {
  const runId = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  const log = createLogger('warn', 'braid-bench');
  // Undone in reverse order at the end, or as far as the start got when it fails.
  const undo: [string, () => Promise<unknown>][] = [];
  const stop = async () => {
    for (const [what, step] of undo.reverse()) {
      try {
        await step();
      } catch (error) {
        log.warn({ err: error }, `bench cleanup: could not ${what}`);
      }
    }
    undo.length = 0;
  };
  try {
    const stateDir = mkdtempSync(join(tmpdir(), 'braid-bench-'));
    undo.push(['remove temporary files', async () => rmSync(stateDir, { recursive: true, force: true })]);
    const privateNats: PrivateNats | null = process.env.NATS_URL ? null : await startPrivateNats(log);
    if (privateNats) undo.push(['stop the private nats-server', () => privateNats.stop()]);
    const databaseUrl = new URL(loadConfig().DATABASE_URL);
    databaseUrl.pathname = `/braid_bench_${runId}`;
    const config = loadConfig({ ...process.env, DATABASE_URL: databaseUrl.toString(), ...(privateNats ? { NATS_URL: privateNats.url } : {}) });
    undo.push(['drop the scratch database', () => dropDatabase(config.DATABASE_URL)]);
    const pool = await preparePostgres(config, log);
    undo.push(['close the pool', () => pool.end()]);
    const nc = await connectNats(config.NATS_URL, 'braid-bench');
    undo.push(['close NATS', () => nc.close()]);
    const jsm = await nc.jetstreamManager();
    await ensureRawStream(jsm, { duplicateWindowMs: config.BRAID_RAW_DUPLICATE_WINDOW });
    const consumers = new Set<string>();
    undo.push(["delete the run's NATS consumers", async () => {
      for (const name of consumers) await jsm.consumers.delete(RAW_STREAM, name).catch(() => undefined);
    }]);
    const temporalBinary = await resolveTemporalBinary({ explicitPath: config.BRAID_TEMPORAL_BIN, cache: config.BRAID_CACHE_DIR, log });
    const bundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietBundler });
    const bundlePath = join(stateDir, 'workflow-bundle.js');
    writeFileSync(bundlePath, bundle.code);
    const env: BenchEnvironment = {
      runId,
      log,
      pool,
      nc,
      js: nc.jetstream(),
      jsm,
      childEnv: {
        ...process.env,
        DATABASE_URL: config.DATABASE_URL,
        NATS_URL: config.NATS_URL,
        BRAID_WORKFLOW_BUNDLE: bundlePath,
        BRAID_STATE_DIR: stateDir,
        BRAID_LOG_LEVEL: 'warn',
      },
      temporalBinary,
      namespace: config.TEMPORAL_NAMESPACE,
      stateDir,
      natsPid: privateNats?.pid,
      consumers,
    };
    return { env, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

const quietBundler = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (message: string) => console.error(message),
  error: (message: string) => console.error(message),
};
