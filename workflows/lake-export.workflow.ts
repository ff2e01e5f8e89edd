import { continueAsNew, defineQuery, proxyActivities, setHandler, sleep } from '@temporalio/workflow';
import type { ExportLakeInput, LakeExportOutcome, createLakeActivities } from '../activities/lake-export';


const { exportLake } = proxyActivities<ReturnType<typeof createLakeActivities>>({
  startToCloseTimeout: '15m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', nonRetryableErrorTypes: ['LakeLocationError'] },
});

export interface LakeExportInput extends ExportLakeInput {
  /** Pause between rounds once nothing is queued. */
  everyMs: number;
}

export interface LakeExportStatus {
  rounds: number;
  partitions: number;
  rows: number;
  last: LakeExportOutcome | null;
}

export const lakeExportStatusQuery = defineQuery<LakeExportStatus>('lakeExportStatus');

/** Rounds per run before the history starts afresh. */
const ROUNDS_PER_RUN = 500;

/**
 * The continuous lake export (one per deployment, id `lake-export:<task queue>`): round
 * after round, the activity writes out queued partitions; when none are
 * left it waits `everyMs`. Each round is idempotent, so a crash retries it.
 */
export async function lakeExportWorkflow(input: LakeExportInput): Promise<void> {
  const status: LakeExportStatus = { rounds: 0, partitions: 0, rows: 0, last: null };
  setHandler(lakeExportStatusQuery, () => status);
  while (status.rounds < ROUNDS_PER_RUN) {
    const outcome = await exportLake({ lakeUrl: input.lakeUrl, projectId: input.projectId, maxPartitions: input.maxPartitions });
    status.rounds += 1;
    status.partitions += outcome.partitions;
    status.rows += outcome.rows;
    status.last = outcome;
    if (!outcome.more) await sleep(input.everyMs);
  }
  await continueAsNew<typeof lakeExportWorkflow>(input);
}
