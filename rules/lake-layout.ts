import { PROJECT_ID_PATTERN } from '../contracts/envelope';

/**
 * Where the lake's files go (contract section 6): Hive-style partitions
 * `<lake>/events/project_id=<p>/event_date=<YYYY-MM-DD>/`, one Parquet file
 * per partition, replaced whole when the partition is written again.
 */

/** The one file of a partition; written beside it under a temporary name, then renamed over it. */
export const PARTITION_FILE = 'events.parquet';

export type LakeLocation = { ok: true; dir: string } | { ok: false; reason: string };

/**
 * A lake URL as a local directory: a path (absolute, or relative to the
 * working directory) or a `file://` URL. Object stores (`s3://`, `gs://`…)
 * are refused with a reason: writing them needs DuckDB's httpfs extension,
 * which this build does not ship.
 */
export function lakeLocation(url: string, cwd: string): LakeLocation {
  const trimmed = url.trim();
  if (trimmed === '') return { ok: false, reason: 'the lake URL is empty: give a directory such as .braid/lake' };
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(trimmed)?.[1]?.toLowerCase();
  if (scheme && scheme !== 'file') {
    return { ok: false, reason: `${scheme}:// lakes are not supported by this build (DuckDB's httpfs extension is not shipped); use a directory, e.g. a mounted bucket` };
  }
  let path = scheme === 'file' ? decodeURIComponent(trimmed.slice('file://'.length)) : trimmed;
  if (path.includes('\0')) return { ok: false, reason: 'the lake path contains a NUL byte' };
  if (!path.startsWith('/')) path = `${cwd.replace(/\/+$/, '')}/${path}`;
  return { ok: true, dir: normalize(path) };
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

/** The events table's directory in a lake. */
export function eventsDir(lakeDir: string): string {
  return `${lakeDir}/events`;
}

/** A project's directory of date partitions. */
export function projectDir(lakeDir: string, projectId: string): string {
  if (!PROJECT_ID_PATTERN.test(projectId)) throw new Error(`not a project id: ${JSON.stringify(projectId)}`);
  return `${eventsDir(lakeDir)}/project_id=${projectId}`;
}

/** A partition's directory; ids and dates are checked, so no path can leave the lake. */
export function partitionDir(lakeDir: string, projectId: string, eventDate: string): string {
  if (!isEventDate(eventDate)) throw new Error(`not an event date (YYYY-MM-DD): ${JSON.stringify(eventDate)}`);
  return `${projectDir(lakeDir, projectId)}/event_date=${eventDate}`;
}

/** The date of a partition directory's name (`event_date=2026-06-01`), or null for anything else. */
export function partitionDateOf(dirName: string): string | null {
  const m = /^event_date=(.+)$/.exec(dirName);
  return m && isEventDate(m[1]!) ? m[1]! : null;
}
