import { deviceKey, type DeviceIds } from './session-key';

/** A running canary as the rules see it: which devices it takes and the rules version it writes with. */
export interface CanarySplit {
  id: string;
  percent: number;
  /** The rules version of the canary arm (lineage's `rules_version`). */
  version: number;
}

/**
 * 0 ≤ bucket < 100 for a device of a canary, the same on every process and
 * release: FNV-1a over `<canaryId>\n<channel>\n<deviceKey>`. A new canary
 * draws a new split, so one canary's devices are not always the next one's.
 */
export function canaryBucket(canaryId: string, channel: string, key: string): number {
  let hash = 0x811c9dc5;
  const text = `${canaryId}\n${channel}\n${key}`;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % 100;
}

/** Whether a device is in the canary arm: its bucket is below the canary's percent. Pure. */
export function inCanaryArm(split: CanarySplit, channel: string, key: string): boolean {
  return canaryBucket(split.id, channel, key) < split.percent;
}

/**
 * The ids of a message, for choosing its arm, read as the envelope reads them
 * (strings, or finite numbers as their decimal text); a message without
 * either stays with the control arm.
 */
export function messageDeviceIds(payload: unknown): DeviceIds | null {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return null;
  const { anonymousId, userId } = payload as Record<string, unknown>;
  const ids: DeviceIds = {};
  const text = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : undefined);
  const anonymous = text(anonymousId);
  const user = text(userId);
  if (anonymous !== undefined) ids.anonymousId = anonymous;
  if (user !== undefined) ids.userId = user;
  return anonymous === undefined && user === undefined ? null : ids;
}

/** Whether a decoded message (its event, or a rejection's payload) came from a device of the canary's arm. Pure. */
export function messageInArm(split: CanarySplit, channel: string, payload: unknown): boolean {
  const ids = messageDeviceIds(payload);
  return ids !== null && inCanaryArm(split, channel, deviceKey(ids));
}

/**
 * Which rules decide a message: the canary's when the project runs one and
 * the message's device falls in its arm, else the project's own. Pure.
 */
export function rulesForDevice<R extends { canary?: { split: CanarySplit; rules: R } }>(project: R, channel: string, payload: unknown): R {
  const canary = project.canary;
  return canary && messageInArm(canary.split, channel, payload) ? canary.rules : project;
}

/** The settings whose values differ between two versions of a project's settings, in the order of `after`. Pure. */
export function changedSettings<S extends object>(before: S, after: S): (keyof S & string)[] {
  return (Object.keys(after) as (keyof S & string)[]).filter((key) => canonicalJson(before[key]) !== canonicalJson(after[key]));
}

/** JSON with object keys sorted, so two equal settings compare equal whatever order their keys came in. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value as object)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'undefined';
}
