import type pg from 'pg';
import {
  changedDates,
  expandIdentityChanges,
  forgetChanges,
  inLakeSnapshot,
  projectEventDates,
  projectsWithChanges,
  readPartitionRows,
  type LakePartition,
} from '../db/lake';
import { directoryStore, type LakeStore } from './store';

/**
 * Keeping the lake equal to Postgres. A partition is always rewritten whole
 * from one snapshot of analytics.events, so doing it twice changes nothing
 * (idempotent) and a crash half-way leaves the changes queued (resumable).
 * The lake is a LakeStore (a directory or a bucket); a plain string is a
 * directory.
 */

const storeOf = (lake: LakeStore | string): LakeStore => (typeof lake === 'string' ? directoryStore(lake) : lake);

export interface LakeExportOutcome {
  /** Partitions written (or removed, when their last event was deleted). */
  partitions: number;
  rows: number;
  /** Partitions still queued after this call. */
  more: boolean;
}

/**
 * Writes out up to `maxPartitions` queued partitions, the longest-waiting
 * projects first, after turning identity changes (merges, unmerges,
 * erasures) into the partitions they touch.
 */
export async function exportChanges(pool: pg.Pool, lake: LakeStore | string, options: { maxPartitions?: number; projectId?: string } = {}): Promise<LakeExportOutcome> {
  const maxPartitions = options.maxPartitions ?? 50;
  const store = storeOf(lake);
  while ((await expandIdentityChanges(pool)) > 0);
  const outcome: LakeExportOutcome = { partitions: 0, rows: 0, more: false };
  for (const projectId of await projectsWithChanges(pool, maxPartitions, options.projectId)) {
    const budget = maxPartitions - outcome.partitions;
    if (budget <= 0) break;
    await inLakeSnapshot(pool, projectId, async (client) => {
      const dates = await changedDates(client, projectId, budget);
      for (const eventDate of dates) outcome.rows += await writeFromSnapshot(client, store, { projectId, eventDate });
      await forgetChanges(client, projectId, dates);
      outcome.partitions += dates.length;
    });
  }
  outcome.more = (await projectsWithChanges(pool, 1, options.projectId)).length > 0;
  return outcome;
}

export interface ProjectExportOutcome {
  partitions: number;
  rows: number;
  /** Date partitions removed because the project has no events on them any more. */
  removed: number;
}

/**
 * `braid lake export`: every partition of one project rewritten now from one
 * snapshot, and date partitions it no longer has events on removed. Leaves
 * the continuous export's queue alone (its lake may be another one).
 */
export async function exportProject(
  pool: pg.Pool,
  lake: LakeStore | string,
  projectId: string,
  onPartition: (partition: LakePartition, rows: number) => void = () => undefined,
): Promise<ProjectExportOutcome> {
  const store = storeOf(lake);
  return inLakeSnapshot(pool, projectId, async (client) => {
    const dates = await projectEventDates(client, projectId);
    const outcome: ProjectExportOutcome = { partitions: 0, rows: 0, removed: 0 };
    for (const eventDate of dates) {
      const rows = await writeFromSnapshot(client, store, { projectId, eventDate });
      onPartition({ projectId, eventDate }, rows);
      outcome.partitions += 1;
      outcome.rows += rows;
    }
    const kept = new Set(dates);
    for (const date of await store.partitionDates(projectId)) {
      if (kept.has(date)) continue;
      await store.removePartition({ projectId, eventDate: date });
      outcome.removed += 1;
    }
    return outcome;
  });
}

/** One partition, from the rows the caller's snapshot sees. */
function writeFromSnapshot(client: pg.PoolClient, store: LakeStore, partition: LakePartition): Promise<number> {
  return store.writePartition(partition, (write) => readPartitionRows(client, partition, write));
}
