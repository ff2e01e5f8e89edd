import { join } from 'node:path';
import type { Command } from 'commander';
import { repoRoot } from '../../runtime/paths';
import { prepareNats, preparePostgres, prepareTemporal } from '../../runtime/platform';
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
      const supervisor = new Supervisor(await braidProcesses(temporal.address), log);

      // Every step runs even if one before it fails, so the dev server never outlives braid up.
      let stopped: Promise<void> | null = null;
      const shutdown = () =>
        (stopped ??= stopInOrder(log, [
          () => supervisor.stop(),
          () => nats.nc.drain(),
          () => temporal.connection.close(),
          async () => temporal.devServer?.stop(),
          () => pool.end(),
        ]));
      onShutdown(shutdown);
      try {
        console.error('braid: starting the worker, ingest and API processes…');
        await supervisor.start();
        console.error(`braid: up — API http://127.0.0.1:${config.BRAID_HTTP_PORT}, Postgres ${redact(config.DATABASE_URL)}, NATS ${config.NATS_URL}, Temporal ${temporal.address}${temporal.devServer ? ' (dev server, UI http://127.0.0.1:8233)' : ''}`);
        if (opts.demo) await runDemo(pool, nats.nc);
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
 * the API merges into its /metrics.
 */
async function braidProcesses(temporalAddress: string): Promise<ProcessSpec[]> {
  const cli = join(repoRoot, 'bin', 'braid.js');
  const [workerMetrics, ingestMetrics] = [await freePort(), await freePort()];
  const peers = [workerMetrics, ingestMetrics].map((port) => `http://127.0.0.1:${port}/metrics.json`).join(',');
  const braid = (role: string, niceness: number, env: Record<string, string>): ProcessSpec => ({
    role,
    command: process.execPath,
    args: [cli, role],
    env: { ...process.env, TEMPORAL_ADDRESS: temporalAddress, ...env },
    niceness,
  });
  return [
    braid('worker', BACKGROUND_NICENESS, { BRAID_METRICS_PORT: String(workerMetrics) }),
    braid('ingest', BACKGROUND_NICENESS, { BRAID_METRICS_PORT: String(ingestMetrics) }),
    braid('api', 0, { BRAID_METRICS_PEERS: peers }),
  ];
}

function redact(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}
