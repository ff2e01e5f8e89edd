import type { Client } from '@temporalio/client';

export interface HistoryTotals {
  /** Workflow runs on the task queue (continued-as-new runs count each). */
  runs: number;
  /** History events across those runs. */
  events: number;
  /** History bytes across those runs, as the server reports them. */
  bytes: number;
}

/** Describes at most this many runs at a time. */
const CONCURRENCY = 16;

/**
 * Sums `historyLength` and `historySize` from describe() over every run
 * (running, completed or continued-as-new) that visibility lists on a task
 * queue: what Temporal stored for a pipeline.
 */
export async function historyTotals(client: Client, taskQueue: string): Promise<HistoryTotals> {
  const runs: { workflowId: string; runId: string }[] = [];
  for await (const execution of client.workflow.list({ query: `TaskQueue = '${taskQueue}'` })) runs.push({ workflowId: execution.workflowId, runId: execution.runId });
  const totals: HistoryTotals = { runs: runs.length, events: 0, bytes: 0 };
  let next = 0;
  const describeNext = async () => {
    while (next < runs.length) {
      const run = runs[next++] as (typeof runs)[number];
      const description = await client.workflow.getHandle(run.workflowId, run.runId).describe();
      totals.events += description.historyLength;
      totals.bytes += description.historySize ?? 0;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, describeNext));
  return totals;
}
