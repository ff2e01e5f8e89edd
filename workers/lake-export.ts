import { WorkflowIdConflictPolicy, type Client } from '@temporalio/client';
import type pg from 'pg';
import { registerLake } from '../db/lake';
import type { Logger } from '../runtime/logger';
import { lakeExportWorkflow } from '../workflows/lake-export.workflow';

/** The continuous lake export's workflow id: one per deployment (namespace and task queue). */
export function lakeExportWorkflowId(taskQueue: string): string {
  return `lake-export:${taskQueue}`;
}

/**
 * Registers the lake (the triggers start recording changes; a new lake gets
 * every partition queued) and makes sure the export workflow runs. Every
 * worker does this at start; the first one starts the workflow, the others
 * find it running. A new lake (BRAID_LAKE_URL or its endpoint changed)
 * replaces a running workflow, which would go on writing to the old one.
 */
export async function startLakeExport(options: {
  client: Client;
  pool: pg.Pool;
  taskQueue: string;
  /** The lake's canonical URL: an absolute directory or `s3://bucket/prefix` (lakeUrlOf). */
  lakeUrl: string;
  /** What it is registered as (lakeIdentity: the URL, plus an S3-compatible endpoint). */
  identity: string;
  everyMs: number;
  log: Logger;
}): Promise<void> {
  const fresh = await registerLake(options.pool, options.identity);
  const handle = await options.client.workflow.start(lakeExportWorkflow, {
    workflowId: lakeExportWorkflowId(options.taskQueue),
    taskQueue: options.taskQueue,
    args: [{ lakeUrl: options.lakeUrl, everyMs: options.everyMs }],
    workflowIdConflictPolicy: fresh ? WorkflowIdConflictPolicy.TERMINATE_EXISTING : WorkflowIdConflictPolicy.USE_EXISTING,
  });
  options.log.info({ lake: options.identity, workflowId: handle.workflowId, fresh }, fresh ? 'lake registered: exporting every partition' : 'lake export running');
}
