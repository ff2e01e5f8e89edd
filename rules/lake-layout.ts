import { PROJECT_ID_PATTERN } from '../contracts/envelope';

/**
 * Where the lake's files go (contract section 6): Hive-style partitions
 * `<lake>/events/project_id=<p>/event_date=<YYYY-MM-DD>/`, one Parquet file
 * per partition, replaced whole when the partition is written again. A lake
 * is a local directory or an S3 (or S3-compatible) bucket and key prefix; the
 * partition's path below the lake is the same for both.
 */

/** The one file of a partition; written beside it under a temporary name, then renamed over it. */
export const PARTITION_FILE = 'events.parquet';

/** A lake: a local directory (absolute), or a bucket and a key prefix (no slash at either end; '' for the bucket's root). */
export type LakeTarget = { kind: 'directory'; dir: string } | { kind: 's3'; bucket: string; prefix: string };

/** Why a lake URL was refused: stable codes, each with a sentence for people. */
export type LakeUrlRejection =
  | 'empty_url'
  | 'nul_byte'
  | 'invalid_path'
  | 'unsupported_scheme'
  | 'invalid_bucket'
  | 'endpoint_in_url'
  | 'credentials_in_url'
  | 'query_in_url'
  | 'invalid_prefix'
  | 'not_a_directory';

export type LakeTargetOutcome = { ok: true; target: LakeTarget } | { ok: false; code: LakeUrlRejection; reason: string };

export type LakeLocation = { ok: true; dir: string } | { ok: false; code: LakeUrlRejection; reason: string };

/** Longest key prefix: an S3 key has at most 1024 bytes, and the partition's path takes up to ~150 of them. */
const MAX_PREFIX_BYTES = 768;

/**
 * A lake URL: a path (absolute, or relative to `cwd`), a `file://` URL, or
 * `s3://<bucket>[/<prefix>]` (AWS S3 or an S3-compatible server; the endpoint,
 * region and credentials come from the standard AWS variables, never from the
 * URL, which is stored in the database and in workflow histories).
 */
export function lakeTarget(url: string, cwd: string): LakeTargetOutcome {
  const trimmed = url.trim();
  if (trimmed === '') return refuse('empty_url', 'the lake URL is empty: give a directory such as .braid/lake, or s3://<bucket>/<prefix>');
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(trimmed)?.[1]?.toLowerCase();
  if (scheme === 's3') return s3Target(trimmed.slice('s3://'.length));
  if (scheme && scheme !== 'file') {
    return refuse('unsupported_scheme', `${scheme}:// lakes are not supported: use a directory or s3://<bucket>/<prefix> (S3 or an S3-compatible server through AWS_ENDPOINT_URL)`);
  }
  let path = trimmed;
  if (scheme === 'file') {
    try {
      path = decodeURIComponent(trimmed.slice('file://'.length));
    } catch {
      return refuse('invalid_path', `${trimmed} is not a file:// URL (a % that starts no escape); write the path itself`);
    }
  }
  if (path.includes('\0')) return refuse('nul_byte', 'the lake path contains a NUL byte');
  if (!path.startsWith('/')) path = `${cwd.replace(/\/+$/, '')}/${path}`;
  return { ok: true, target: { kind: 'directory', dir: normalize(path) } };
}

/** A lake URL that must be a local directory (what reads files in place, such as the bench). */
export function lakeLocation(url: string, cwd: string): LakeLocation {
  const outcome = lakeTarget(url, cwd);
  if (!outcome.ok) return outcome;
  if (outcome.target.kind !== 'directory') return refuse('not_a_directory', `${lakeUrlOf(outcome.target)} is an object store; this needs a local directory`);
  return { ok: true, dir: outcome.target.dir };
}

/** The lake's canonical URL: its absolute directory, or `s3://<bucket>[/<prefix>]`. */
export function lakeUrlOf(target: LakeTarget): string {
  return target.kind === 'directory' ? target.dir : `s3://${target.bucket}${target.prefix ? `/${target.prefix}` : ''}`;
}

/**
 * What a lake is registered as (db/lake.ts registerLake: a new identity gets
 * every partition exported again): its URL, plus the server for a bucket on
 * an S3-compatible endpoint, since one bucket name on two servers is two lakes.
 */
export function lakeIdentity(target: LakeTarget, endpoint: string | null): string {
  const url = lakeUrlOf(target);
  return target.kind === 's3' && endpoint ? `${url} at ${endpoint}` : url;
}

function refuse(code: LakeUrlRejection, reason: string): { ok: false; code: LakeUrlRejection; reason: string } {
  return { ok: false, code, reason };
}

/** `bucket[/prefix]` after `s3://`. */
function s3Target(rest: string): LakeTargetOutcome {
  const slash = rest.indexOf('/');
  const authority = slash < 0 ? rest : rest.slice(0, slash);
  const path = slash < 0 ? '' : rest.slice(slash + 1);
  if (/[?#]/.test(rest)) {
    return refuse('query_in_url', 'an s3:// lake URL takes no query or fragment (?…, #…): the region and endpoint go in AWS_REGION and AWS_ENDPOINT_URL');
  }
  if (authority.includes('@')) {
    return refuse('credentials_in_url', 'credentials do not go in the lake URL (it is stored in the database and in workflow histories): set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY');
  }
  if (authority.includes(':')) {
    return refuse('endpoint_in_url', `s3://${authority} names a host and port: write s3://<bucket>/<prefix> and give the server in AWS_ENDPOINT_URL`);
  }
  const bucketProblem = s3BucketProblem(authority);
  if (bucketProblem) return refuse('invalid_bucket', bucketProblem);
  const prefix = path.replace(/\/+$/, '');
  const prefixProblem = s3PrefixProblem(prefix);
  if (prefixProblem) return refuse('invalid_prefix', prefixProblem);
  return { ok: true, target: { kind: 's3', bucket: authority, prefix } };
}

/**
 * S3's bucket naming rules: 3 to 63 characters of lowercase letters, digits,
 * dots and hyphens, a letter or digit at both ends, no `..`, not an IPv4 address.
 */
function s3BucketProblem(bucket: string): string | null {
  if (bucket === '') return 'the s3:// URL names no bucket: write s3://<bucket>/<prefix>';
  const rule = 'a bucket name has 3-63 lowercase letters, digits, dots and hyphens, starts and ends with a letter or digit, and is not an IP address';
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket) || bucket.includes('..') || /^\d+\.\d+\.\d+\.\d+$/.test(bucket)) {
    return `${JSON.stringify(bucket)} is not a bucket name: ${rule}`;
  }
  return null;
}

/** A key prefix of `/`-separated segments, none empty, `.` or `..`, without control characters. */
function s3PrefixProblem(prefix: string): string | null {
  if (prefix === '') return null;
  if (new TextEncoder().encode(prefix).length > MAX_PREFIX_BYTES) return `the key prefix is longer than ${MAX_PREFIX_BYTES} bytes`;
  // eslint-disable-next-line no-control-regex -- control characters are what this refuses
  if (/[\u0000-\u001f\u007f]/.test(prefix)) return 'the key prefix contains a control character';
  for (const segment of prefix.split('/')) {
    if (segment === '' || segment === '.' || segment === '..') {
      return `the key prefix ${JSON.stringify(prefix)} has an empty, "." or ".." segment: write s3://<bucket>/<folder>/<folder>`;
    }
  }
  return null;
}

/** `/a/./b/../c/` → `/a/c` (no file system access). */
function normalize(path: string): string {
  const parts: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return `/${parts.join('/')}`;
}

const EVENT_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A calendar date `YYYY-MM-DD` that exists (2026-02-30 does not). */
export function isEventDate(value: string): boolean {
  const m = EVENT_DATE.exec(value);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = new Date(0);
  t.setUTCFullYear(y, mo - 1, d); // not Date.UTC, which reads years 0-99 as 1900-1999
  return t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d;
}

/** The events table's folder below the lake's root. */
const EVENTS = 'events';

/** The folders from the lake's root down to a project's partitions; the id is checked, so no path can leave the lake. */
function projectSegments(projectId: string): string[] {
  if (!PROJECT_ID_PATTERN.test(projectId)) throw new Error(`not a project id: ${JSON.stringify(projectId)}`);
  return [EVENTS, `project_id=${projectId}`];
}

/** The folders from the lake's root down to a partition; ids and dates are checked. */
function partitionSegments(projectId: string, eventDate: string): string[] {
  if (!isEventDate(eventDate)) throw new Error(`not an event date (YYYY-MM-DD): ${JSON.stringify(eventDate)}`);
  return [...projectSegments(projectId), `event_date=${eventDate}`];
}

/** The events table's directory in a lake. */
export function eventsDir(lakeDir: string): string {
  return `${lakeDir}/${EVENTS}`;
}

/** A project's directory of date partitions. */
export function projectDir(lakeDir: string, projectId: string): string {
  return [lakeDir, ...projectSegments(projectId)].join('/');
}

/** A partition's directory; ids and dates are checked, so no path can leave the lake. */
export function partitionDir(lakeDir: string, projectId: string, eventDate: string): string {
  return [lakeDir, ...partitionSegments(projectId, eventDate)].join('/');
}

/** `<prefix>/<segments…>/` as an S3 key prefix (`prefix` '' is the bucket's root). */
function keyPrefix(prefix: string, segments: string[]): string {
  return `${[prefix, ...segments].filter((s) => s !== '').join('/')}/`;
}

/** The key prefix of the events table in a bucket lake: `<prefix>/events/`. */
export function eventsKeyPrefix(prefix: string): string {
  return keyPrefix(prefix, [EVENTS]);
}

/** The key prefix of a project's partitions: `<prefix>/events/project_id=<p>/`. */
export function projectKeyPrefix(prefix: string, projectId: string): string {
  return keyPrefix(prefix, projectSegments(projectId));
}

/** The key prefix of a partition: `<prefix>/events/project_id=<p>/event_date=<d>/`. */
export function partitionKeyPrefix(prefix: string, projectId: string, eventDate: string): string {
  return keyPrefix(prefix, partitionSegments(projectId, eventDate));
}

/** The key of a partition's one object. */
export function partitionKey(prefix: string, projectId: string, eventDate: string): string {
  return `${partitionKeyPrefix(prefix, projectId, eventDate)}${PARTITION_FILE}`;
}

/** The date of a partition directory's name (`event_date=2026-06-01`), or null for anything else. */
export function partitionDateOf(dirName: string): string | null {
  const m = /^event_date=(.+)$/.exec(dirName);
  return m && isEventDate(m[1]!) ? m[1]! : null;
}

/** A lake file found by listing: its partition, and its path below the lake's root (the same for a directory and a bucket). */
export interface LakeFile {
  projectId: string;
  eventDate: string;
  /** `events/project_id=<p>/event_date=<d>/<name>.parquet` */
  path: string;
}

/**
 * An object key of a bucket lake read back as a partition file, or null when
 * it is not one: outside the prefix, another layout, not `*.parquet`, or a
 * name starting with a dot (a writer's temporary). What it returns is safe
 * to use as a relative local path.
 */
export function lakeFileOfKey(prefix: string, key: string): LakeFile | null {
  const root = prefix === '' ? '' : `${prefix}/`;
  if (!key.startsWith(root)) return null;
  const path = key.slice(root.length);
  const m = /^events\/project_id=([^/]+)\/event_date=([^/]+)\/([A-Za-z0-9_=-][A-Za-z0-9._=-]*\.parquet)$/.exec(path);
  if (!m || !PROJECT_ID_PATTERN.test(m[1]!) || !isEventDate(m[2]!)) return null;
  return { projectId: m[1]!, eventDate: m[2]!, path };
}
