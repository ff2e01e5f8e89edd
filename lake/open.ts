import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { lakeIdentity, type LakeTarget } from '../rules/lake-layout';
import { clearS3Errors, connectS3, type S3OpenFailure } from './s3-client';
import { mirrorLake, type MirrorOutcome } from './s3-mirror';
import { s3Store, type UploadOptions } from './s3-store';
import { directoryStore, type LakeStore } from './store';

/**
 * A lake URL's target opened for what a command does with it: a store to
 * write partitions to, or a local directory DuckDB can query (a bucket lake
 * mirrored into the braid cache first). Settings problems come back as typed
 * outcomes naming the variable; S3 failures afterwards are thrown as
 * LakeAccessError (lake/s3-client.ts), whose message says what to fix.
 */

export type LakeOpenFailure = S3OpenFailure;

type Env = Readonly<Record<string, string | undefined>>;

export async function openLakeStore(target: LakeTarget, env: Env, options: UploadOptions = {}): Promise<{ ok: true; store: LakeStore } | LakeOpenFailure> {
  if (target.kind === 'directory') return { ok: true, store: directoryStore(target.dir) };
  const opened = await connectS3(target.bucket, target.prefix, env);
  if (!opened.ok) return opened;
  return { ok: true, store: s3Store(opened.lake, options) };
}

export interface QueryableLake {
  /** A local directory with the lake's layout. */
  dir: string;
  /** What mirroring a bucket lake did; null for a directory lake. */
  mirror: MirrorOutcome | null;
}

/**
 * The lake as a directory DuckDB can read: a directory lake as it is; a
 * bucket lake mirrored to `<cacheRoot>/lake-mirror/<hash of its identity>`.
 */
export async function openLakeForQuery(target: LakeTarget, env: Env, cacheRoot: string): Promise<({ ok: true } & QueryableLake) | LakeOpenFailure> {
  if (target.kind === 'directory') return { ok: true, dir: target.dir, mirror: null };
  const opened = await connectS3(target.bucket, target.prefix, env);
  if (!opened.ok) return opened;
  const identity = lakeIdentity(target, opened.lake.settings.endpoint);
  const dir = join(cacheRoot, 'lake-mirror', createHash('sha256').update(identity).digest('hex').slice(0, 16));
  try {
    return { ok: true, dir, mirror: await clearS3Errors(opened.lake, () => mirrorLake(opened.lake, dir)) };
  } finally {
    opened.lake.client.destroy();
  }
}
