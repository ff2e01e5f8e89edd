import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { eventsKeyPrefix, lakeFileOfKey } from '../rules/lake-layout';
import type { S3Lake } from './s3-client';
import { listPages } from './s3-store';

/**
 * `braid lake query` over a bucket lake: DuckDB reads local files (this build
 * ships no httpfs), so the lake's partition files are mirrored into a local
 * directory first, with the same layout. Only objects whose ETag or size
 * changed since the last mirror are downloaded; files whose objects are gone
 * are removed. A manifest in the directory keeps what each file was
 * downloaded as; a lock directory keeps two mirrors of one lake from
 * interleaving.
 */

export interface MirrorOutcome {
  /** Partition files in the lake. */
  files: number;
  downloaded: number;
  /** Bytes downloaded. */
  bytes: number;
  /** Local files removed because their objects are gone. */
  removed: number;
}

type Manifest = Record<string, { etag: string; size: number }>;

const MANIFEST = '.manifest.json';
const PARALLEL_DOWNLOADS = 8;
/** A lock older than this belongs to a mirror that died. */
const STALE_LOCK_MS = 10 * 60_000;

export async function mirrorLake(lake: S3Lake, dir: string): Promise<MirrorOutcome> {
  await mkdir(dir, { recursive: true });
  const unlock = await lock(join(dir, '.lock'));
  try {
    return await mirrorLocked(lake, dir);
  } finally {
    await unlock();
  }
}

async function mirrorLocked(lake: S3Lake, dir: string): Promise<MirrorOutcome> {
  const listed = new Map<string, { key: string; etag: string; size: number }>();
  for await (const page of listPages(lake.client, lake.bucket, eventsKeyPrefix(lake.prefix))) {
    for (const object of page.Contents ?? []) {
      const file = object.Key ? lakeFileOfKey(lake.prefix, object.Key) : null;
      if (file) listed.set(file.path, { key: object.Key!, etag: unquote(object.ETag ?? ''), size: object.Size ?? -1 });
    }
  }
  const manifest = await readManifest(dir);
  const outcome: MirrorOutcome = { files: listed.size, downloaded: 0, bytes: 0, removed: 0 };

  const stale: string[] = [];
  for (const [path, object] of listed) {
    const known = manifest[path];
    const local = await stat(join(dir, path)).catch(() => null);
    if (!known || known.etag !== object.etag || known.size !== object.size || local?.size !== object.size) stale.push(path);
  }
  const queue = [...stale];
  await Promise.all(
    Array.from({ length: Math.min(PARALLEL_DOWNLOADS, queue.length) }, async () => {
      for (let path = queue.shift(); path !== undefined; path = queue.shift()) {
        const got = await download(lake, listed.get(path)!.key, join(dir, path));
        manifest[path] = got;
        outcome.downloaded += 1;
        outcome.bytes += got.size;
      }
    }),
  );

  for (const path of await localFiles(dir)) {
    if (listed.has(path)) continue;
    await rm(join(dir, path), { force: true });
    await removeEmptyParents(dir, path);
    outcome.removed += 1;
  }
  for (const path of Object.keys(manifest)) if (!listed.has(path)) delete manifest[path];
  await writeAtomically(join(dir, MANIFEST), JSON.stringify(manifest));
  return outcome;
}

/** One object into `target`, through a temporary file renamed into place; what it was downloaded as. */
async function download(lake: S3Lake, key: string, target: string): Promise<{ etag: string; size: number }> {
  await mkdir(dirname(target), { recursive: true });
  const partial = `${target}.${randomBytes(6).toString('hex')}.download`;
  try {
    const object = await lake.client.send(new GetObjectCommand({ Bucket: lake.bucket, Key: key }));
    if (!(object.Body instanceof Readable)) throw new Error(`s3://${lake.bucket}/${key}: the object came without a body`);
    await pipeline(object.Body, createWriteStream(partial));
    const { size } = await stat(partial);
    if (object.ContentLength !== undefined && size !== object.ContentLength) {
      throw new Error(`s3://${lake.bucket}/${key}: ${size} bytes arrived of ${object.ContentLength}`);
    }
    await rename(partial, target);
    return { etag: unquote(object.ETag ?? ''), size };
  } finally {
    await rm(partial, { force: true });
  }
}

/** The mirror's partition files, as paths below `dir` (`events/project_id=…/event_date=…/x.parquet`). */
async function localFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  const walk = async (relative: string, depth: number) => {
    const entries = await readdir(join(dir, relative), { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      const path = `${relative}/${entry.name}`;
      if (entry.isDirectory() && depth < 3) await walk(path, depth + 1);
      else if (entry.isFile() && depth === 3) files.push(path);
    }
  };
  await walk('events', 1);
  return files;
}

async function removeEmptyParents(dir: string, path: string): Promise<void> {
  for (let parent = dirname(path); parent !== 'events' && parent !== '.'; parent = dirname(parent)) {
    try {
      await rmdir(join(dir, parent));
    } catch {
      return; // not empty
    }
  }
}

async function readManifest(dir: string): Promise<Manifest> {
  try {
    const parsed: unknown = JSON.parse(await readFile(join(dir, MANIFEST), 'utf8'));
    return parsed && typeof parsed === 'object' ? (parsed as Manifest) : {};
  } catch {
    return {}; // none yet, or damaged: everything is downloaded again
  }
}

async function writeAtomically(path: string, text: string): Promise<void> {
  const partial = `${path}.${randomBytes(6).toString('hex')}`;
  await writeFile(partial, text);
  await rename(partial, path);
}

const unquote = (etag: string) => etag.replace(/^"|"$/g, '');

/** An exclusive lock (a directory): waits for another mirror of the same lake to finish. */
async function lock(path: string): Promise<() => Promise<void>> {
  for (;;) {
    try {
      await mkdir(path);
      return () => rm(path, { recursive: true, force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const held = await stat(path).catch(() => null);
      if (held && Date.now() - held.mtimeMs > STALE_LOCK_MS) await rm(path, { recursive: true, force: true });
      else await new Promise((r) => setTimeout(r, 200));
    }
  }
}
