import { rm } from 'node:fs/promises';
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
import { partitionDateOf, partitionDir, projectDir } from '../rules/lake-layout';
import { partitionDirs, writePartition } from './parquet';

/**
 * Keeping the lake equal to Postgres. A partition is always rewritten whole
 * from one snapshot of analytics.events, so doing it twice changes nothing
 * (idempotent) and a crash half-way leaves the changes queued (resumable).
 */

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
export async function exportChanges(pool: pg.Pool, lakeDir: string, options: { maxPartitions?: number; projectId?: string } = {}): Promise<LakeExportOutcome> {
  const maxPartitions = options.maxPartitions ?? 50;
  while ((await expandIdentityChanges(pool)) > 0);
  const outcome: LakeExportOutcome = { partitions: 0, rows: 0, more: false };
  for (const projectId of await projectsWithChanges(pool, maxPartitions, options.projectId)) {
    const budget = maxPartitions - outcome.partitions;
    if (budget <= 0) break;
    await inLakeSnapshot(pool, projectId, async (client) => {
      const dates = await changedDates(client, projectId, budget);
      for (const eventDate of dates) outcome.rows += await writeFromSnapshot(client, lakeDir, { projectId, eventDate });
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
  /** Date directories removed because the project has no events on them any more. */
  removed: number;
}

/**
 * `braid lake export`: every partition of one project rewritten now from one
 * snapshot, and date directories it no longer has events on removed. Leaves
 * the continuous export's queue alone (its lake may be another directory).
 */
export async function exportProject(
  pool: pg.Pool,
  lakeDir: string,
  projectId: string,
  onPartition: (partition: LakePartition, rows: number) => void = () => undefined,
): Promise<ProjectExportOutcome> {
  return inLakeSnapshot(pool, projectId, async (client) => {
    const dates = await projectEventDates(client, projectId);
    const outcome: ProjectExportOutcome = { partitions: 0, rows: 0, removed: 0 };
    for (const eventDate of dates) {
      const rows = await writeFromSnapshot(client, lakeDir, { projectId, eventDate });
      onPartition({ projectId, eventDate }, rows);
      outcome.partitions += 1;
      outcome.rows += rows;
    }
    const kept = new Set(dates);
    for (const name of await partitionDirs(projectDir(lakeDir, projectId))) {
      const date = partitionDateOf(name);
      if (date === null || kept.has(date)) continue;
      await rm(partitionDir(lakeDir, projectId, date), { recursive: true, force: true });
      outcome.removed += 1;
    }
    return outcome;
  });
}

/** One partition, from the rows the caller's snapshot sees. */
function writeFromSnapshot(client: pg.PoolClient, lakeDir: string, partition: LakePartition): Promise<number> {
  return writePartition(partitionDir(lakeDir, partition.projectId, partition.eventDate), (write) => readPartitionRows(client, partition, write));
}
