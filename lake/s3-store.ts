import { createHash } from 'node:crypto';
import { mkdtemp, open, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { PARTITION_FILE, lakeIdentity, lakeUrlOf, partitionDateOf, partitionKey, partitionKeyPrefix, projectKeyPrefix } from '../rules/lake-layout';
import { writeParquetFile } from './parquet';
import { clearS3Errors, type S3Lake } from './s3-client';
import type { LakeStore } from './store';

/**
 * A lake in an S3 bucket (AWS, or an S3-compatible server). DuckDB writes a
 * partition's Parquet file to a local temporary directory; it is uploaded to
 * the partition's one key, `…/event_date=<d>/events.parquet`.
 *
 * What a reader sees: S3 replaces an object whole, when its PUT (or the
 * completion of its multipart upload) succeeds, and never serves part of an
 * upload; reads after a write are strongly consistent. A partition being one
 * object at a fixed key, a reader gets the old partition or the new one,
 * never half of one, and never both (as writing a new key and then deleting
 * the old one would allow for a moment). After the upload, every other object
 * under the partition's prefix (left by another tool or an older layout) is
 * deleted, so the partition then holds exactly its rows. A partition that has
 * lost its last row is deleted: a reader that listed it just before may get
 * a 404 for it, never stale rows afterwards. Writers of one project never
 * overlap (lake/export.ts holds the project's lake lock around each write).
 */

export interface UploadOptions {
  /** Files larger than this go up in parts (multipart upload); default 64 MiB. */
  multipartThreshold?: number;
  /** Size of each part but the last; at least 5 MiB (S3's minimum); default 16 MiB. */
  partSize?: number;
}

const MiB = 1024 * 1024;
/** S3's limits on multipart uploads. */
const MIN_PART = 5 * MiB;
const MAX_PARTS = 10_000;
const PARQUET_TYPE = 'application/vnd.apache.parquet';

export function s3Store(lake: S3Lake, options: UploadOptions = {}): LakeStore {
  const { client, bucket, prefix } = lake;
  return {
    url: lakeUrlOf({ kind: 's3', bucket, prefix }),
    identity: lakeIdentity({ kind: 's3', bucket, prefix }, lake.settings.endpoint),
    async writePartition(partition, produce) {
      const scratch = await mkdtemp(join(tmpdir(), 'braid-lake-'));
      try {
        const file = join(scratch, PARTITION_FILE);
        const rows = await writeParquetFile(file, produce);
        const key = partitionKey(prefix, partition.projectId, partition.eventDate);
        await clearS3Errors(lake, async () => {
          if (rows > 0) await uploadFile(client, bucket, key, file, options);
          await deleteUnder(client, bucket, partitionKeyPrefix(prefix, partition.projectId, partition.eventDate), rows > 0 ? key : null);
        });
        return rows;
      } finally {
        await rm(scratch, { recursive: true, force: true });
      }
    },
    async partitionDates(projectId) {
      const dates: string[] = [];
      const under = projectKeyPrefix(prefix, projectId);
      await clearS3Errors(lake, async () => {
        for await (const page of listPages(client, bucket, under, '/')) {
          for (const p of page.CommonPrefixes ?? []) {
            const date = partitionDateOf((p.Prefix ?? '').slice(under.length).replace(/\/$/, ''));
            if (date !== null) dates.push(date);
          }
        }
      });
      return dates.sort();
    },
    async removePartition(partition) {
      await clearS3Errors(lake, () => deleteUnder(client, bucket, partitionKeyPrefix(prefix, partition.projectId, partition.eventDate), null));
    },
    close() {
      client.destroy();
    },
  };
}

/** Every page of a listing under `prefix` (with `delimiter`, the "folders" come as CommonPrefixes). */
export async function* listPages(client: S3Client, bucket: string, prefix: string, delimiter?: string) {
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token, ...(delimiter ? { Delimiter: delimiter } : {}) }));
    yield page;
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
}

/**
 * Deletes every object under `prefix` but `keep`, one DeleteObject each
 * (a partition holds one object; DeleteObjects needs a checksum header that
 * some S3-compatible servers refuse).
 */
async function deleteUnder(client: S3Client, bucket: string, prefix: string, keep: string | null): Promise<void> {
  const doomed: string[] = [];
  for await (const page of listPages(client, bucket, prefix)) {
    for (const object of page.Contents ?? []) if (object.Key && object.Key !== keep) doomed.push(object.Key);
  }
  for (const key of doomed) await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
}

const md5 = (data: Uint8Array) => createHash('md5').update(data).digest('base64');

/**
 * Uploads a local file to `key`: one PUT up to the threshold, a multipart
 * upload above it (aborted when a part fails, so no parts linger). Either way
 * the object appears whole or not at all. Every request carries Content-MD5,
 * so the server refuses a body damaged on the way.
 */
export async function uploadFile(client: S3Client, bucket: string, key: string, path: string, options: UploadOptions = {}): Promise<void> {
  const threshold = options.multipartThreshold ?? 64 * MiB;
  const { size } = await stat(path);
  if (size <= threshold) {
    const body = await readFile(path);
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentLength: body.length, ContentMD5: md5(body), ContentType: PARQUET_TYPE }));
    return;
  }
  const partSize = Math.max(options.partSize ?? 16 * MiB, MIN_PART, Math.ceil(size / MAX_PARTS));
  const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ContentType: PARQUET_TYPE }));
  if (!UploadId) throw new Error(`s3://${bucket}/${key}: the server started a multipart upload without an upload id`);
  const file = await open(path);
  try {
    const parts: { PartNumber: number; ETag: string }[] = [];
    for (let offset = 0; offset < size; offset += partSize) {
      const body = Buffer.alloc(Math.min(partSize, size - offset));
      const { bytesRead } = await file.read(body, 0, body.length, offset);
      if (bytesRead !== body.length) throw new Error(`${path} changed while it was being uploaded`);
      const PartNumber = parts.length + 1;
      const { ETag } = await client.send(
        new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber, Body: body, ContentLength: body.length, ContentMD5: md5(body) }),
      );
      if (!ETag) throw new Error(`s3://${bucket}/${key}: part ${PartNumber} was stored without an ETag`);
      parts.push({ PartNumber, ETag });
    }
    await client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId, MultipartUpload: { Parts: parts } }));
  } catch (error) {
    await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId })).catch(() => undefined);
    throw error;
  } finally {
    await file.close();
  }
}
