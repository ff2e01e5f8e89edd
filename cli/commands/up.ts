import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { repoRoot } from '../../runtime/paths';
import { devServerLogFile, prepareNats, preparePostgres, prepareTemporal, servicesStartedHere, startLocalDevServer } from '../../runtime/platform';
import { serveMetrics } from '../../runtime/metrics-server';
import { ServiceKeeper } from '../../runtime/service-keeper';
import { watchLocalDependencies } from '../../runtime/dependency-watch';
import { BACKGROUND_NICENESS, Supervisor, type ProcessSpec } from '../../runtime/supervisor';
import { freePort } from '../../runtime/services/local-process';
import { commandContext, onShutdown, stopInOrder } from '../process';
import { runDemo } from './demo';

export function registerUp(program: Command): void {
  program
    .command('up')
    .description('bring braid up on one machine: Postgres, NATS and Temporal (started if needed), migrations, then the worker, ingest and API as processes of their own')
    .option('--demo', 'send demo traffic once everything is up and print what landed')
    .option('--exit-after-demo', 'stop again after the demo (for scripts)')
    .action(async (opts: { demo?: boolean; exitAfterDemo?: boolean }) => {
      const { config, log } = commandContext('up');
      console.error('braid: starting Postgres, NATS and Temporal where needed…');
      const pool = await preparePostgres(config, log);
      const nats = await prepareNats(config, log, 'braid-up');
      const temporal = await prepareTemporal(config, log, { command: 'up', devServer: true });
      // braid up's own metrics (service restarts) join the API's /metrics like the worker's and ingest's.
      const upMetrics = await serveMetrics(await freePort());
      const lakeUrl = config.BRAID_LAKE_URL ?? resolve(config.BRAID_STATE_DIR, 'lake');
      const supervisor = new Supervisor(await braidProcesses(temporal.address, upMetrics.port, lakeUrl), log);

      // Every step runs even if one before it fails, so the dev server never outlives braid up.
      let stopped: Promise<void> | null = null;
      const shutdown = () =>
        (stopped ??= stopInOrder(log, [
          () => supervisor.stop(),
          () => nats.nc.drain(),
          () => temporal.connection.close(),
          async () => (keeper ? keeper.stop() : temporal.devServer?.stop()),
          () => upMetrics.close(),
          () => pool.end(),
        ]));
      // A dev server braid up started is kept running: started again when it dies, given up on (exit 1) when it keeps dying.
      const keeper = temporal.devServer
        ? new ServiceKeeper('the Temporal dev server', () => startLocalDevServer(config, log), {
            log,
            logFile: devServerLogFile(config),
            onGiveUp: (message) => {
              console.error(`braid: ${message}`);
              void shutdown().finally(() => process.exit(1));
            },
          })
        : null;
      if (keeper && temporal.devServer) keeper.keep(temporal.devServer);
      // The local Postgres and NATS, when braid up started them, are started again too when they go down.
      const stopWatching = watchLocalDependencies(config, log, servicesStartedHere(), (message) => {
        console.error(`braid: ${message}; giving up.`);
        void shutdown().finally(() => process.exit(1));
      });
      onShutdown(async () => {
        stopWatching();
        await shutdown();
      });
      try {
        console.error('braid: starting the worker, ingest and API processes…');
        await supervisor.start();
        console.error(`braid: up — API http://127.0.0.1:${config.BRAID_HTTP_PORT}, Postgres ${redact(config.DATABASE_URL)}, NATS ${config.NATS_URL}, Temporal ${temporal.address}${temporal.devServer ? ` (dev server${config.BRAID_TEMPORAL_UI_PORT > 0 ? `, UI http://127.0.0.1:${config.BRAID_TEMPORAL_UI_PORT}` : ''})` : ''}`);
        if (opts.demo) await runDemo(pool, nats.nc);
        console.error(`braid: the lake (Parquet, one file per project and day) is ${lakeUrl}; e.g. npx braid lake query "SELECT project_id, channel, count(*) FROM events GROUP BY ALL"`);
      } catch (error) {
        await shutdown();
        throw error;
      }
      if (opts.demo && opts.exitAfterDemo) {
        await shutdown();
        return;
      }
      console.error('braid: running; Ctrl-C stops it. Publish to braid.raw.<projectId>.<channel>; see `braid status`.');
    });
}

/**
 * The production processes, each a `braid` command of its own, started in
 * flow order and stopped in reverse (API first, worker last). They use the
 * Temporal this process prepared, so none of them starts a dev server. The
 * worker and ingest serve their metrics on local ports of their own, which
 * the API merges into its /metrics. The worker keeps the lake (BRAID_LAKE_URL,
 * by default .braid/lake).
 */
async function braidProcesses(temporalAddress: string, upMetricsPort: number, lakeUrl: string): Promise<ProcessSpec[]> {
  const cli = join(repoRoot, 'bin', 'braid.js');
  const [workerMetrics, ingestMetrics] = [await freePort(), await freePort()];
  const peers = [workerMetrics, ingestMetrics, upMetricsPort].map((port) => `http://127.0.0.1:${port}/metrics.json`).join(',');
  const braid = (role: string, niceness: number, env: Record<string, string>): ProcessSpec => ({
    role,
    command: process.execPath,
    args: [cli, role],
    env: { ...process.env, TEMPORAL_ADDRESS: temporalAddress, ...env },
    niceness,
  });
  return [
    braid('worker', BACKGROUND_NICENESS, { BRAID_METRICS_PORT: String(workerMetrics), BRAID_LAKE_URL: lakeUrl }),
    braid('ingest', BACKGROUND_NICENESS, { BRAID_METRICS_PORT: String(ingestMetrics) }),
    braid('api', 0, { BRAID_METRICS_PEERS: peers }),
  ];
}

function redact(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}
