import { z } from 'zod';
import { CHANNEL_PATTERN, MAX_EVENT_NAME_LENGTH } from './envelope';

/**
 * Registry keys: a track event's name, or one of these for the calls whose
 * `traits` a schema describes. The `$` keeps them apart from any event name.
 */
export const IDENTIFY_KEY = '$identify';
export const GROUP_KEY = '$group';
export const RESERVED_KEYS = [IDENTIFY_KEY, GROUP_KEY] as const;

/**
 * The schema registry's API bodies (contract section 4: `PUT
 * /api/projects/:p/schemas/:event`, `GET …`, `POST /api/projects/:p/schemas/check`).
 * A key is a track event's name, or `$identify` / `$group` for the traits of
 * those calls.
 */
export const pushSchemaBody = z
  .object({
    /** A JSON Schema (draft-07) for the event's `properties` (`traits` for `$identify` and `$group`). */
    schema: z.union([z.boolean(), z.record(z.string(), z.unknown())], { message: 'a JSON Schema: an object, or true/false' }),
    /** MODEL-REVISION-ADDITION; braid picks the next one the change needs when absent. */
    version: z.string().max(40).optional(),
    /** Accept a change that would reject events the current version accepts, as the next MODEL. */
    newModel: z.boolean().optional(),
    /** Push even when every recent event of this name would fail the new schema (first versions and new MODELs). */
    force: z.boolean().optional(),
    /** Why: kept in the changelog. */
    comment: z.string().max(2000).optional(),
  })
  .strict();
export type PushSchemaBody = z.output<typeof pushSchemaBody>;

export const MAX_CHECK_EVENTS = 10_000;

export const checkEventsBody = z
  .object({
    /** Events, one JSON object per line. */
    ndjson: z.string().optional(),
    /** Or events as a JSON array. */
    events: z.array(z.unknown()).max(MAX_CHECK_EVENTS).optional(),
    /** The line number of the first line (for a file sent in parts). */
    firstLine: z.number().int().min(1).default(1),
    /** The channel to check as (default: the project's first). */
    channel: z.string().regex(CHANNEL_PATTERN, 'a channel name').optional(),
  })
  .strict()
  .refine((b) => (b.ndjson === undefined) !== (b.events === undefined), { message: 'send either ndjson or events' });
export type CheckEventsBody = z.output<typeof checkEventsBody>;

/** Why a registry key is not acceptable, or null. */
export function eventKeyProblem(key: string): string | null {
  if (key.length === 0 || key.trim().length === 0) return 'an event name must not be empty';
  if (key.length > MAX_EVENT_NAME_LENGTH) return `an event name has at most ${MAX_EVENT_NAME_LENGTH} characters`;
  if ([...key].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) return 'an event name has no control characters';
  if (key.startsWith('$') && !(RESERVED_KEYS as readonly string[]).includes(key)) return `names starting with $ are reserved: ${RESERVED_KEYS.join(', ')}`;
  return null;
}

/** One problem `schema check` found with an event. */
export interface CheckProblem {
  line: number;
  messageId: string | null;
  event: string | null;
  /** `rejected`: ingest would reject it (broken line, bad envelope, or a blocking violation); `flagged`: it would be written with flags. */
  outcome: 'rejected' | 'flagged';
  reason: string | null;
  violations: { rule: string; path: string; message: string; policy?: 'flag' | 'block' }[];
}

export interface CheckResult {
  projectId: string;
  channel: string;
  checked: number;
  passed: number;
  flagged: number;
  rejected: number;
  problems: CheckProblem[];
}
