import { ApplicationFailure } from '@temporalio/activity';
import type pg from 'pg';
import { exportChanges, type LakeExportOutcome } from '../lake/export';
import { openLakeStore } from '../lake/open';
import type { LakeStore } from '../lake/store';
import { lakeTarget } from '../rules/lake-layout';
import type { Logger } from '../runtime/logger';

export type { LakeExportOutcome };

export interface ExportLakeInput {
  /**
   * The lake: an absolute directory or `s3://bucket/prefix` (the worker
   * resolves it before it starts the workflow). An S3 lake's endpoint, region
   * and credentials come from the worker's environment, never from here.
   */
  lakeUrl: string;
  /** Only this project's partitions (tests); every project when absent. */
  projectId?: string;
  maxPartitions?: number;
}

/**
 * The lake export's one activity: write out what is queued, a bounded number
 * of partitions per call. A lake URL or S3 setting that cannot work fails
 * for good (LakeLocationError); an object store's refusal or outage is
 * retried by the workflow's policy, so fixing a bucket policy needs no restart.
 */
export function createLakeActivities({ pool, log }: { pool: pg.Pool; log: Logger }) {
  /** One store (one S3 client) per lake URL, for the life of the worker. */
  const stores = new Map<string, Promise<LakeStore>>();
  const storeFor = (lakeUrl: string): Promise<LakeStore> => {
    let store = stores.get(lakeUrl);
    if (!store) {
      store = openStore(lakeUrl);
      stores.set(lakeUrl, store);
      store.catch(() => stores.delete(lakeUrl));
    }
    return store;
  };
  return {
    async exportLake(input: ExportLakeInput): Promise<LakeExportOutcome> {
      const store = await storeFor(input.lakeUrl);
      const outcome = await exportChanges(pool, store, { maxPartitions: input.maxPartitions, projectId: input.projectId });
      if (outcome.partitions > 0) log.info({ lake: store.url, ...outcome }, 'lake partitions written');
      return outcome;
    },
  };
}

async function openStore(lakeUrl: string): Promise<LakeStore> {
  const location = lakeTarget(lakeUrl, '/');
  if (!location.ok) throw ApplicationFailure.nonRetryable(`lakeUrl: ${location.reason}`, 'LakeLocationError', { code: location.code });
  const opened = await openLakeStore(location.target, process.env);
  if (!opened.ok) {
    // Credentials from a role or a profile may come back; settings need a change and a restart.
    if (opened.code === 'missing_credentials') throw ApplicationFailure.retryable(opened.reason, 'LakeCredentialsError', { code: opened.code, variable: opened.variable });
    throw ApplicationFailure.nonRetryable(opened.reason, 'LakeLocationError', { code: opened.code, variable: opened.variable });
  }
  return opened.store;
}
