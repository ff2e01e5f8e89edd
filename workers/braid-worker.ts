import { join } from 'node:path';
import { NativeConnection, Runtime, DefaultLogger, Worker, type WorkerOptions } from '@temporalio/worker';
import type { NatsConnection } from 'nats';
import type pg from 'pg';
import { createActivities } from '../activities';
import type { Logger } from '../runtime/logger';

export const WORKFLOWS_PATH = join(__dirname, '..', 'workflows', 'index.ts');

let runtimeInstalled = false;

/** Temporal's own logs at warn and above; installed once per process, before the first worker. */
export function installTemporalRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  // braid's commands own SIGINT/SIGTERM (they stop ingest and the API too), so the SDK installs no handlers.
  Runtime.install({ logger: new DefaultLogger('WARN'), shutdownSignals: [] });
}

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
}

/** The Temporal worker: session workflows with their write activity, and replays and backfills. */
export async function createBraidWorker(options: BraidWorkerOptions): Promise<{ worker: Worker; connection: NativeConnection }> {
  installTemporalRuntime();
  const connection = await NativeConnection.connect({ address: options.address });
  const worker = await Worker.create({
    connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    activities: createActivities({ pool: options.pool, nc: options.nc, log: options.log, operationChunk: options.operationChunk }),
    // Each workflow task of a session waits on its local activity (a Postgres transaction):
    // more tasks in flight than the SDK default keeps the single-lane dev server busy.
    maxConcurrentWorkflowTaskExecutions: 100,
    maxConcurrentWorkflowTaskPolls: 20,
    maxConcurrentLocalActivityExecutions: 64,
  });
  return { worker, connection };
}
