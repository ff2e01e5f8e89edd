import { z } from 'zod';
import { parseIsoTimestamp } from './timestamps';

/**
 * The event envelope of the public contract (Segment Spec compatible), as one
 * zod schema shared by the ingest path, the HTTP collector and the SDK.
 */
export const EVENT_TYPES = ['track', 'identify', 'alias', 'page', 'screen', 'group'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const MAX_EVENT_BYTES = 32 * 1024;

/** How deep an event's JSON may nest (objects and arrays); deeper is `too_deeply_nested`. */
export const MAX_JSON_DEPTH = 64;
export const MAX_MESSAGE_ID_LENGTH = 100;
export const MAX_ID_LENGTH = 512;
export const MAX_EVENT_NAME_LENGTH = 200;

export const PROJECT_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;
export const CHANNEL_PATTERN = /^[a-z][a-z0-9_-]{0,31}$/;
export const DEFAULT_CHANNELS = ['web', 'mobile', 'backend'] as const;

type JsonObject = Record<string, unknown>;

const isPlainObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `null` means "not given" in Segment payloads (analytics.js sends `userId: null`). */
function optional<T extends z.ZodType>(schema: T, prepare: (v: unknown) => unknown = (v) => v) {
  return z.preprocess((v) => (v === null ? undefined : prepare(v)), schema.optional());
}

/** Ids: strings, or numbers that some SDKs send, kept as their decimal text. */
const identifier = optional(z.string({ message: 'must be a string' }).max(MAX_ID_LENGTH, `at most ${MAX_ID_LENGTH} characters`), (v) =>
  typeof v === 'number' && Number.isFinite(v) ? String(v) : v,
);

const object = optional(z.custom<JsonObject>(isPlainObject, { message: 'must be a JSON object' })).transform((v) => v ?? {});

const timestamp = optional(
  z
    .string({ message: 'must be an ISO-8601 string' })
    .refine((s) => parseIsoTimestamp(s) !== null, 'must be ISO-8601 with a time and an offset, e.g. 2026-01-31T12:00:00.000Z'),
);

const contextSchema = optional(
  z.custom<JsonObject>(isPlainObject, { message: 'must be a JSON object' }).superRefine((ctx, issues) => {
    const sessionId = ctx.sessionId;
    if (sessionId === undefined || sessionId === null) return;
    const ok =
      (typeof sessionId === 'string' && sessionId.length > 0 && sessionId.length <= MAX_ID_LENGTH) ||
      (typeof sessionId === 'number' && Number.isFinite(sessionId));
    if (!ok) issues.addIssue({ code: 'custom', path: ['sessionId'], message: 'must be a non-empty string or a finite number' });
  }),
).transform((v) => v ?? {});

export const envelopeSchema = z
  .object({
    type: z.enum(EVENT_TYPES, { message: `must be one of ${EVENT_TYPES.join(', ')}` }),
    messageId: z.string({ message: 'must be a string' }).min(1, 'must not be empty').max(MAX_MESSAGE_ID_LENGTH, `at most ${MAX_MESSAGE_ID_LENGTH} characters`),
    userId: identifier,
    anonymousId: identifier,
    previousId: identifier,
    groupId: identifier,
    event: optional(z.string({ message: 'must be a string' }).max(MAX_EVENT_NAME_LENGTH, `at most ${MAX_EVENT_NAME_LENGTH} characters`)),
    name: optional(z.string({ message: 'must be a string' }).max(MAX_EVENT_NAME_LENGTH, `at most ${MAX_EVENT_NAME_LENGTH} characters`)),
    properties: object,
    traits: object,
    context: contextSchema,
    timestamp,
    sentAt: timestamp,
  })
  .superRefine((e, issues) => {
    if (isBlank(e.userId) && isBlank(e.anonymousId)) {
      issues.addIssue({ code: 'custom', path: ['userId'], message: 'userId or anonymousId is required', params: { reason: 'missing_identity' } });
    }
    if (e.type === 'track' && isBlank(e.event)) {
      issues.addIssue({ code: 'custom', path: ['event'], message: 'track events need a non-empty event name', params: { reason: 'missing_event' } });
    }
    if (e.type === 'alias') {
      if (isBlank(e.previousId)) {
        issues.addIssue({ code: 'custom', path: ['previousId'], message: 'alias needs previousId', params: { reason: 'missing_previous_id' } });
      }
      if (isBlank(e.userId)) {
        issues.addIssue({ code: 'custom', path: ['userId'], message: 'alias needs userId', params: { reason: 'missing_user_id' } });
      }
    }
    if (e.type === 'group' && isBlank(e.groupId)) {
      issues.addIssue({ code: 'custom', path: ['groupId'], message: 'group needs groupId', params: { reason: 'missing_group_id' } });
    }
  });

export type Envelope = z.output<typeof envelopeSchema>;
export type EnvelopeInput = z.input<typeof envelopeSchema>;

export function isBlank(value: string | undefined): boolean {
  return value === undefined || value.trim().length === 0;
}

/**
 * What the tracking plan can find wrong with an event, in the order a
 * blocked event picks its rejection reason from. Each is also a rejection
 * reason and, when flagged, the prefix of a lineage flag
 * (`schema_violation:properties.total`). analytics.data_quality
 * (db/views/data_quality.sql) counts them; a test keeps its list equal.
 */
export const VIOLATION_KINDS = [
  'unplanned_event',
  'naming_violation',
  'unknown_schema_version',
  'schema_violation',
  'unplanned_property',
  'invalid_currency',
  'invalid_amount',
] as const;
export type ViolationKind = (typeof VIOLATION_KINDS)[number];

/** Stable snake_case reasons for a rejected message. Never renamed: clients match on them. */
export const REJECTION_REASONS = [
  'invalid_subject',
  'unknown_project',
  'unknown_channel',
  'payload_too_large',
  'invalid_utf8',
  'invalid_json',
  'not_an_object',
  'missing_type',
  'unknown_type',
  'missing_message_id',
  'message_id_too_long',
  'invalid_message_id',
  'missing_identity',
  'invalid_user_id',
  'invalid_anonymous_id',
  'missing_user_id',
  'missing_previous_id',
  'invalid_previous_id',
  'missing_group_id',
  'invalid_group_id',
  'missing_event',
  'invalid_event',
  'invalid_name',
  'invalid_properties',
  'invalid_traits',
  'invalid_context',
  'invalid_session_id',
  'invalid_timestamp',
  'invalid_sent_at',
  'delivery_attempts_exhausted',
  'unwritable_event',
  'too_deeply_nested',
  // Tracking-plan violations of a project whose policy for them is `block` (rules/tracking-plan.ts).
  ...VIOLATION_KINDS,
] as const;
export type RejectionReason = (typeof REJECTION_REASONS)[number];

export interface Violation {
  path: string;
  rule: string;
  message: string;
}

/**
 * Turns zod's issues into the contract's reason and readable details. When an
 * event breaks several rules, the reason is the one listed first in
 * REJECTION_REASONS, so the same payload always gets the same reason.
 */
export function describeIssues(issues: readonly z.core.$ZodIssue[], input: unknown): { reason: RejectionReason; violations: Violation[] } {
  const violations = issues.map((issue) => ({
    path: issue.path.map(String).join('.') || '(root)',
    rule: reasonForIssue(issue, input),
    message: issue.message,
  }));
  const rank = (v: Violation) => REJECTION_REASONS.indexOf(v.rule as RejectionReason);
  const ordered = [...violations].sort((a, b) => rank(a) - rank(b));
  return { reason: (ordered[0]?.rule ?? 'not_an_object') as RejectionReason, violations: ordered };
}

function reasonForIssue(issue: z.core.$ZodIssue, input: unknown): RejectionReason {
  const custom = (issue as { params?: { reason?: RejectionReason } }).params?.reason;
  if (custom) return custom;
  const [field, sub] = issue.path;
  const given = isPlainObject(input) && typeof field === 'string' ? input[field] : undefined;
  const missing = given === undefined || given === null || given === '';
  switch (field) {
    case 'type':
      return missing ? 'missing_type' : 'unknown_type';
    case 'messageId':
      if (missing) return 'missing_message_id';
      return issue.code === 'too_big' ? 'message_id_too_long' : 'invalid_message_id';
    case 'userId':
      return 'invalid_user_id';
    case 'anonymousId':
      return 'invalid_anonymous_id';
    case 'previousId':
      return 'invalid_previous_id';
    case 'groupId':
      return 'invalid_group_id';
    case 'event':
      return 'invalid_event';
    case 'name':
      return 'invalid_name';
    case 'properties':
      return 'invalid_properties';
    case 'traits':
      return 'invalid_traits';
    case 'context':
      return sub === 'sessionId' ? 'invalid_session_id' : 'invalid_context';
    case 'timestamp':
      return 'invalid_timestamp';
    case 'sentAt':
      return 'invalid_sent_at';
    default:
      return 'not_an_object';
  }
}
