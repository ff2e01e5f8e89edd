import { join } from 'node:path';
import { NativeConnection, Runtime, DefaultLogger, Worker, type ActivityInterceptorsFactory, type WorkerOptions } from '@temporalio/worker';
import { OpenTelemetryPlugin } from '@temporalio/interceptors-opentelemetry';
import type { NatsConnection } from 'nats';
import type pg from 'pg';
import { createActivities } from '../activities';
import type { Logger } from '../runtime/logger';
import { activityRetries } from '../runtime/metrics';
import type { Tracing } from '../runtime/tracing';
import type { TemporalTls } from '../runtime/tls';

export const WORKFLOWS_PATH = join(__dirname, '..', 'workflows', 'index.ts');

let runtimeInstalled = false;

/**
 * Temporal's own logs at warn and above and, given an address, the SDK's
 * runtime metrics (polls, task latencies, slots, sticky cache) as Prometheus
 * text there, named `braid_temporal_*`; installed once per process, before
 * the first worker.
 */
export function installTemporalRuntime(options: { metricsAddress?: string } = {}): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  // braid's commands own SIGINT/SIGTERM (they stop ingest and the API too), so the SDK installs no handlers.
  Runtime.install({
    logger: new DefaultLogger('WARN'),
    shutdownSignals: [],
    ...(options.metricsAddress
      ? { telemetryOptions: { metrics: { metricPrefix: 'braid_temporal_', prometheus: { bindAddress: options.metricsAddress, useSecondsForDurations: true } } } }
      : {}),
  });
}

/** Counts activity attempts after the first (Temporal retried them) in braid_worker_activity_retries_total. */
const countRetries: ActivityInterceptorsFactory = (ctx) => ({
  inbound: {
    execute: (input, next) => {
      if (ctx.info.attempt > 1) activityRetries.inc({ activity: ctx.info.activityType });
      return next(input);
    },
  },
});

export interface BraidWorkerOptions {
  address: string;
  namespace: string;
  taskQueue: string;
  pool: pg.Pool;
  nc: NatsConnection;
  log: Logger;
  operationChunk?: number;
  /** A prebuilt workflow bundle (tests build one and share it); bundled from source when absent. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** TLS to the Temporal server (TEMPORAL_TLS_*). */
  tls?: TemporalTls;
  /** Tracing of this process: Temporal's OpenTelemetry plugin then traces workflows and activities (bundles from source). */
  tracing?: Tracing | null;
}

/** The Temporal worker: session workflows with their write activity, and replays and backfills. */
export async function createBraidWorker(options: BraidWorkerOptions): Promise<{ worker: Worker; connection: NativeConnection }> {
  installTemporalRuntime();
  const tracing = options.tracing ?? null;
  const connection = await NativeConnection.connect({ address: options.address, ...(options.tls ? { tls: options.tls } : {}) });
  const worker = await Worker.create({
    connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    // The workflow-side tracing interceptors are bundled with the workflows: a traced worker bundles from source.
    ...(options.workflowBundle && !tracing ? { workflowBundle: options.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    interceptors: { activity: [countRetries] },
    plugins: tracing ? [new OpenTelemetryPlugin({ resource: tracing.resource, spanProcessor: tracing.spanProcessor })] : [],
    activities: createActivities({ pool: options.pool, nc: options.nc, log: options.log, operationChunk: options.operationChunk }),
    // Each workflow task of a session waits on its local activity (a Postgres transaction):
    // more tasks in flight than the SDK default keeps the single-lane dev server busy.
    maxConcurrentWorkflowTaskExecutions: 100,
    maxConcurrentWorkflowTaskPolls: 20,
    maxConcurrentLocalActivityExecutions: 64,
  });
  return { worker, connection };
}
