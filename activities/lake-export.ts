import { ApplicationFailure } from '@temporalio/activity';
import type pg from 'pg';
import { exportChanges, type LakeExportOutcome } from '../lake/export';
import { lakeLocation } from '../rules/lake-layout';
import type { Logger } from '../runtime/logger';

export type { LakeExportOutcome };

export interface ExportLakeInput {
  /** The lake's directory (absolute: the worker resolves it before it starts the workflow). */
  lakeUrl: string;
  /** Only this project's partitions (tests); every project when absent. */
  projectId?: string;
  maxPartitions?: number;
}

/** The lake export's one activity: write out what is queued, a bounded number of partitions per call. */
export function createLakeActivities({ pool, log }: { pool: pg.Pool; log: Logger }) {
  return {
    async exportLake(input: ExportLakeInput): Promise<LakeExportOutcome> {
      const location = lakeLocation(input.lakeUrl, '/');
      if (!location.ok) throw ApplicationFailure.nonRetryable(`lakeUrl: ${location.reason}`, 'LakeLocationError');
      const outcome = await exportChanges(pool, location.dir, { maxPartitions: input.maxPartitions, projectId: input.projectId });
      if (outcome.partitions > 0) log.info({ lake: location.dir, ...outcome }, 'lake partitions written');
      return outcome;
    },
  };
}
