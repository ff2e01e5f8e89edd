import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { TestProject } from 'vitest/node';
import { loadConfig } from '../../runtime/config';
import { createLogger } from '../../runtime/logger';
import { preparePostgres, prepareNats } from '../../runtime/platform';
import { resolveTemporalBinary, startDevServer, type DevServer } from '../../runtime/services/temporal';
import { WORKFLOWS_PATH } from '../../workers/braid-worker';
import { natsServerInstalled, PrivateNatsServer } from './nats-server';
import { dropDatabase, newTestDatabaseName, testEnv } from './test-env';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    workflowBundlePath: string;
    testEnv: Record<string, string>;
  }
}

/**
 * Once per test run: the real services, as a newcomer's machine and CI have
 * them. Postgres (database braid_test, migrated), NATS with BRAID_RAW, and an
 * in-memory Temporal dev server from the same CLI binary `braid up` uses.
 * The workflow bundle is built once and shared by every test worker.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const env = testEnv(newTestDatabaseName());
  // A nats-server of the run's own when one is installed (and NATS_URL is not set): test traffic
  // never mixes with the BRAID_RAW of a braid running on this machine, and ends with the run.
  const privateNats = !process.env.NATS_URL && natsServerInstalled() ? new PrivateNatsServer() : null;
  if (privateNats) {
    await privateNats.start();
    env.NATS_URL = privateNats.url;
  }
  Object.assign(process.env, env);
  const config = loadConfig();
  const log = createLogger('warn', 'braid-test');
  const pool = await preparePostgres(config, log);
  await pool.end();
  const nats = await prepareNats(config, log, 'braid-test-setup');
  await nats.nc.close();

  let devServer: DevServer | null = null;
  let address = process.env.TEMPORAL_ADDRESS;
  if (!address) {
    const binary = await resolveTemporalBinary({ explicitPath: config.BRAID_TEMPORAL_BIN, cache: config.BRAID_CACHE_DIR, log });
    devServer = await startDevServer({ binary, namespace: config.TEMPORAL_NAMESPACE, log });
    address = devServer.address;
  }
  const bundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietBundlerLogger });
  const bundlePath = join(mkdtempSync(join(tmpdir(), 'braid-test-')), 'workflow-bundle.js');
  writeFileSync(bundlePath, bundle.code);

  project.provide('temporalAddress', address);
  project.provide('workflowBundlePath', bundlePath);
  project.provide('testEnv', env);
  return async () => {
    await devServer?.stop();
    await privateNats?.stop();
    await dropDatabase(config.DATABASE_URL);
  };
}

const quietBundlerLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (message: string) => console.warn(message),
  error: (message: string) => console.error(message),
};
