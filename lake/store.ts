import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import type { LakePartition } from '../db/lake';
import { PARTITION_FILE, lakeIdentity, partitionDateOf, partitionDir, projectDir } from '../rules/lake-layout';
import { writeParquetFile, type LineProducer } from './parquet';

/**
 * Where a lake's partitions live: a local directory (here) or an S3 bucket
 * (lake/s3-store.ts). The export (lake/export.ts) writes through this and
 * does not care which.
 */
export interface LakeStore {
  /** The lake's canonical URL (a directory or `s3://bucket/prefix`), for messages. */
  readonly url: string;
  /** What the database registers it as (rules/lake-layout.ts lakeIdentity). */
  readonly identity: string;
  /**
   * Replaces a partition with the rows `produce` writes, whole: a reader sees
   * the old partition or the new one, never part of one. A partition without
   * rows is removed. Returns the number of rows.
   */
  writePartition(partition: LakePartition, produce: LineProducer): Promise<number>;
  /** The dates a project has partitions on in the lake. */
  partitionDates(projectId: string): Promise<string[]>;
  /** Removes a partition and everything in it. */
  removePartition(partition: LakePartition): Promise<void>;
  /** Lets go of connections (an S3 client's sockets). */
  close(): void;
}

/**
 * A lake in a local directory. The Parquet file is written under a
 * temporary name inside the partition's directory and renamed over
 * `events.parquet`: rename(2) is atomic within a file system.
 */
export function directoryStore(lakeDir: string): LakeStore {
  const dirOf = (p: LakePartition) => partitionDir(lakeDir, p.projectId, p.eventDate);
  return {
    url: lakeDir,
    identity: lakeIdentity({ kind: 'directory', dir: lakeDir }, null),
    async writePartition(partition, produce) {
      const dir = dirOf(partition);
      await mkdir(dir, { recursive: true });
      // Not named *.parquet: a reader's glob over the lake must not pick up a file still being written.
      const scratch = `${dir}/.rows-${randomBytes(6).toString('hex')}.partial`;
      try {
        const rows = await writeParquetFile(scratch, produce);
        if (rows === 0) await rm(dir, { recursive: true, force: true });
        else await rename(scratch, `${dir}/${PARTITION_FILE}`);
        return rows;
      } finally {
        await rm(scratch, { force: true });
      }
    },
    async partitionDates(projectId) {
      const dates: string[] = [];
      for (const name of await subdirectories(projectDir(lakeDir, projectId))) {
        const date = partitionDateOf(name);
        if (date !== null) dates.push(date);
      }
      return dates.sort();
    },
    async removePartition(partition) {
      await rm(dirOf(partition), { recursive: true, force: true });
    },
    close() {},
  };
}

async function subdirectories(path: string): Promise<string[]> {
  try {
    return (await readdir(path, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}
