import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { buildApi } from '../../api/server';
import { ensureBootstrapAdmin } from '../../db/api-tokens';
import type { Config } from '../../runtime/config';
import type { Logger } from '../../runtime/logger';
import { prepareNats, preparePostgres, prepareTemporal } from '../../runtime/platform';
import { announceReady } from '../../runtime/supervisor';
import type { Client } from '@temporalio/client';
import type { NatsConnection } from 'nats';
import type pg from 'pg';
import { adminTokenFile } from '../api-client';
import { watchPool } from '../../runtime/metrics';
import { commandContext, onShutdown, stopInOrder } from '../process';

/**
 * Starts the HTTP API; on a first start without BRAID_ADMIN_TOKEN it creates
 * the bootstrap admin token, prints it once and saves it (mode 600) under
 * BRAID_STATE_DIR for the local CLI.
 */
export async function startApiServer(deps: { config: Config; log: Logger; pool: pg.Pool; nc: NatsConnection; temporal: Client }) {
  const { printedToken } = await ensureBootstrapAdmin(deps.pool, deps.config.BRAID_ADMIN_TOKEN);
  if (printedToken) {
    const file = adminTokenFile(deps.config.BRAID_STATE_DIR);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${printedToken}\n`, { mode: 0o600 });
    chmodSync(file, 0o600);
    console.error(`braid: bootstrap admin token (shown once; saved to ${file} for the local CLI):\n\n    ${printedToken}\n`);
  }
  const app = buildApi({
    pool: deps.pool,
    nc: deps.nc,
    temporal: deps.temporal,
    taskQueue: deps.config.BRAID_TASK_QUEUE,
    hosting: deps.config.BRAID_SESSION_HOSTING,
    log: deps.log,
    metricsPeers: deps.config.BRAID_METRICS_PEERS ?? [],
  });
  await app.listen({ port: deps.config.BRAID_HTTP_PORT, host: '0.0.0.0' });
  return app;
}

export function registerApi(program: Command): void {
  program
    .command('api')
    .description('run the HTTP API: operator API, health, metrics, OpenAPI document')
    .option('--dev-server', 'when TEMPORAL_ADDRESS is unset, use (or start) a local Temporal dev server: development only')
    .action(async (opts: { devServer?: boolean }) => {
      const { config, log } = commandContext('api');
      const temporal = await prepareTemporal(config, log, { command: 'api', devServer: opts.devServer === true });
      const pool = await preparePostgres(config, log, 'api');
      const nats = await prepareNats(config, log, 'braid-api');
      const app = await startApiServer({ config, log, pool, nc: nats.nc, temporal: temporal.client });
      watchPool(pool);
      // Signal handlers first, then the word that it runs: a stop that comes right after it must find them.
      onShutdown(() =>
        stopInOrder(log, [
          () => app.close(),
          () => nats.nc.drain(),
          () => temporal.connection.close(),
          async () => temporal.devServer?.stop(),
          () => pool.end(),
        ]),
      );
      console.error(`braid: api running on http://127.0.0.1:${config.BRAID_HTTP_PORT} (OpenAPI at /api/openapi.json)`);
      announceReady();
    });
}
