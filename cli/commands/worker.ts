import type { Command } from 'commander';
import { prepareNats, prepareTemporal, preparePostgres } from '../../runtime/platform';
import { announceReady } from '../../runtime/supervisor';
import { createBraidWorker, installTemporalRuntime } from '../../workers/braid-worker';
import { watchPool } from '../../runtime/metrics';
import { fetchText } from '../../runtime/metrics-server';
import { freePort } from '../../runtime/services/local-process';
import { startMaintenance } from '../../workers/maintenance';
import { startLakeExport } from '../../workers/lake-export';
import { openLakeStore } from '../../lake/open';
import { lakeTarget, lakeUrlOf } from '../../rules/lake-layout';
import { ConfigError } from '../../runtime/config';
import { temporalTls } from '../../runtime/tls';
import { commandContext, onShutdown, serveProcessMetrics, stopInOrder } from '../process';

/**
 * BRAID_LAKE_URL as the lake the worker exports to, checked at start (for a
 * bucket: the AWS settings and that credentials resolve), or a ConfigError
 * naming the variable and the rule.
 */
async function lakeOf(url: string): Promise<{ lakeUrl: string; identity: string }> {
  const location = lakeTarget(url, process.cwd());
  if (!location.ok) throw new ConfigError([`BRAID_LAKE_URL: ${location.reason}`]);
  const opened = await openLakeStore(location.target, process.env);
  if (!opened.ok) throw new ConfigError([`BRAID_LAKE_URL=${lakeUrlOf(location.target)}: ${opened.reason}`]);
  opened.store.close();
  return { lakeUrl: lakeUrlOf(location.target), identity: opened.store.identity };
}

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('run the Temporal worker for session workflows')
    .option('--dev-server', 'when TEMPORAL_ADDRESS is unset, use (or start) a local Temporal dev server: development only')
    .action(async (opts: { devServer?: boolean }) => {
      const { config, log, tracing } = commandContext('worker');
      const lake = config.BRAID_LAKE_URL === undefined ? null : await lakeOf(config.BRAID_LAKE_URL);
      // The SDK's runtime metrics go to a local port of their own; /metrics appends them.
      const temporalMetrics = config.BRAID_METRICS_PORT === undefined ? null : `127.0.0.1:${await freePort()}`;
      installTemporalRuntime({ metricsAddress: temporalMetrics ?? undefined });
      const temporal = await prepareTemporal(config, log, { command: 'worker', devServer: opts.devServer === true });
      const pool = await preparePostgres(config, log, 'worker');
      const nats = await prepareNats(config, log, 'braid-worker');
      const { worker, connection } = await createBraidWorker({
        address: temporal.address,
        namespace: temporal.namespace,
        taskQueue: config.BRAID_TASK_QUEUE,
        pool,
        nc: nats.nc,
        log,
        operationChunk: config.BRAID_OPERATION_CHUNK,
        tracing,
        tls: temporalTls(config),
        ...(config.BRAID_WORKFLOW_BUNDLE ? { workflowBundle: { codePath: config.BRAID_WORKFLOW_BUNDLE } } : {}),
      });
      const stopMaintenance = startMaintenance(pool, log);
      if (lake) await startLakeExport({ client: temporal.client, pool, taskQueue: config.BRAID_TASK_QUEUE, ...lake, everyMs: config.BRAID_LAKE_EVERY, log });
      watchPool(pool);
      const stopMetrics = await serveProcessMetrics(config, log, async () => (temporalMetrics ? [await fetchText(`http://${temporalMetrics}/metrics`)] : []));
      const workerRun = worker.run();
      // The worker finishes the tasks it holds before the connections close.
      onShutdown(() =>
        stopInOrder(log, [
          async () => stopMaintenance(),
          async () => {
            worker.shutdown();
            await workerRun;
          },
          () => connection.close(),
          () => stopMetrics(),
          () => nats.nc.drain(),
          () => temporal.connection.close(),
          async () => temporal.devServer?.stop(),
          () => pool.end(),
        ]),
      );
      console.error(`braid: worker running (task queue ${config.BRAID_TASK_QUEUE}, Temporal ${temporal.address})`);
      announceReady();
      await workerRun;
    });
}
