import {
  CHANNEL_PATTERN,
  MAX_EVENT_BYTES,
  MAX_JSON_DEPTH,
  PROJECT_ID_PATTERN,
  describeIssues,
  envelopeSchema,
  type RejectionReason,
} from '../contracts/envelope';
import { normalizeCurrency } from './currency';
import { computeEventTime } from './event-time';
import type { NamingConvention } from '../contracts/naming';
import { checkEventName } from './naming';
import type { EventSource, PreparedEvent } from './prepared-event';
import { nestsDeeperThan } from './json-depth';
import { sanitizeJson } from './sanitize';
import { EMPTY_REGISTRY, type RegistrySnapshot } from './schema-snapshot';
import { toIso } from '../contracts/timestamps';
import { checkAgainstRegistry, decidePlan, DEFAULT_TRACKING_PLAN, type PlanViolation, type TrackingPlanPolicy } from './tracking-plan';
import { transform, type Transform } from './transforms';
import { messageDeviceIds, rulesForDevice, type CanarySplit } from './canary-arm';
import { deviceKey } from './session-key';

/** What decoding needs to know of a project. */
export interface ProjectRules {
  projectId: string;
  channels: readonly string[];
  skewToleranceSeconds: number;
  namingConvention: NamingConvention;
  /** allow | flag | block per violation kind; every kind `flag` when absent. */
  trackingPlan?: TrackingPlanPolicy;
  /** The project's schema registry as of now; none when absent. */
  registry?: RegistrySnapshot;
  /** The version of these rules, recorded on what they reject (and, for a canary arm, on what they accept). */
  rulesVersion?: number;
  /** A running canary: its split and the rules of its arm (rules/canary-arm.ts). */
  canary?: { split: CanarySplit; rules: ProjectRules };
}

export interface RawMessage {
  subject: string;
  data: Uint8Array;
  receivedAtMs: number;
  source: EventSource;
}

export interface Rejection {
  projectId: string | null;
  channel: string | null;
  subject: string | null;
  receivedAt: string;
  messageId: string | null;
  reason: RejectionReason;
  details: Record<string, unknown>;
  payload: unknown;
  source: EventSource;
  /** The rules version that rejected it, once its project was known. */
  rulesVersion?: number;
  /** The device it came from (rules/session-key.ts), once its project was known and when it named one. */
  deviceKey?: string;
}

export type DecodeOutcome =
  /** `violations`: what the tracking plan flagged on the event (absent when nothing was). */
  | { kind: 'accepted'; event: PreparedEvent; violations?: PlanViolation[] }
  | { kind: 'rejected'; rejection: Rejection };

export interface DecodeOptions {
  /** Backfilled events keep their timestamps (no skew correction or clamping). */
  backfill?: boolean;
  /** For messages that do not come from a `braid.raw.<project>.<channel>` subject. */
  route?: { projectId: string; channel: string };
}

const SUBJECT = /^braid\.raw\.([^.]+)\.([^.]+)$/;
const PAYLOAD_EXCERPT_CHARS = 4096;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * One raw message in, one typed outcome out: either a prepared event or a
 * rejection with a stable reason and the details a sender needs to fix it.
 * Pure: the project lookup is data handed in.
 */
export function decodeMessage(
  message: RawMessage,
  lookupProject: (projectId: string) => ProjectRules | undefined,
  options: DecodeOptions = {},
): DecodeOutcome {
  const receivedAt = toIso(message.receivedAtMs);
  const route = options.route ?? parseSubject(message.subject);
  const attributed = route ?? attributeSubject(message.subject);
  const base = {
    projectId: attributed.projectId,
    channel: attributed.channel,
    subject: message.subject || null,
    receivedAt,
    source: message.source,
  };
  let rulesVersion: number | undefined;
  // The message as sent once its project is known: a rejection names the device it came from (if any).
  const sender: { payload?: unknown } = {};
  const reject = (reason: RejectionReason, details: Record<string, unknown>, payload: unknown, messageId: string | null = null): DecodeOutcome => ({
    kind: 'rejected',
    rejection: { ...base, messageId, reason, details, payload, ...(rulesVersion === undefined ? {} : { rulesVersion }), ...deviceOf(sender.payload) },
  });

  let text: string;
  try {
    text = utf8.decode(message.data);
  } catch {
    return reject('invalid_utf8', { message: 'the payload is not valid UTF-8' }, null);
  }
  let parsed: unknown;
  let jsonError: string | null = null;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    jsonError = (error as Error).message;
  }
  // Nesting beyond MAX_JSON_DEPTH is refused before any recursive step (sanitizing, validation) sees it.
  const tooDeep = jsonError === null && nestsDeeperThan(parsed, MAX_JSON_DEPTH);
  const messageId = tooDeep ? null : extractMessageId(parsed);
  const excerpt = sanitizeJson(text.slice(0, PAYLOAD_EXCERPT_CHARS)).value;
  const deepRejection = () => reject('too_deeply_nested', { message: `objects and arrays nest at most ${MAX_JSON_DEPTH} levels deep`, limit: MAX_JSON_DEPTH }, excerpt);

  if (!route) {
    return reject('invalid_subject', { message: 'subject must be braid.raw.<projectId>.<channel>', subject: message.subject }, jsonError || tooDeep ? excerpt : sanitizeJson(parsed).value, messageId);
  }
  if (message.data.byteLength > MAX_EVENT_BYTES) {
    return reject('payload_too_large', { message: `an event is at most ${MAX_EVENT_BYTES} bytes`, bytes: message.data.byteLength, limit: MAX_EVENT_BYTES }, excerpt, messageId);
  }
  if (jsonError !== null) {
    return reject('invalid_json', { message: `the payload is not JSON: ${jsonError}` }, excerpt);
  }
  if (tooDeep) return deepRejection();
  const payload = sanitizeJson(parsed);
  const known = lookupProject(route.projectId);
  if (!known) {
    return reject('unknown_project', { message: `no project "${route.projectId}"`, projectId: route.projectId }, payload.value, messageId);
  }
  // A running canary decides its devices' messages with its own rules; the ids as sent pick the arm
  // until the envelope is read, then the envelope's ids (the same ones, normalized) do.
  rulesVersion = rulesForDevice(known, route.channel, payload.value).rulesVersion;
  sender.payload = payload.value;
  if (!known.channels.includes(route.channel)) {
    return reject('unknown_channel', { message: `channel "${route.channel}" is not registered on project "${route.projectId}"`, channels: known.channels }, payload.value, messageId);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return reject('not_an_object', { message: 'an event is one JSON object' }, payload.value, messageId);
  }

  const result = envelopeSchema.safeParse(payload.value);
  if (!result.success) {
    const { reason, violations } = describeIssues(result.error.issues, payload.value);
    return reject(reason, { message: violations[0]?.message ?? reason, violations }, payload.value, messageId);
  }
  const envelope = result.data;
  const project = rulesForDevice(known, route.channel, envelope);
  rulesVersion = project.rulesVersion;

  const time = computeEventTime({
    timestamp: envelope.timestamp,
    sentAt: envelope.sentAt,
    receivedAtMs: message.receivedAtMs,
    skewToleranceMs: project.skewToleranceSeconds * 1000,
    backfill: options.backfill,
  });
  const flags: string[] = [...time.flags];
  const transforms: Transform[] = [transform('validate'), transform('event_time')];
  if (payload.changed) {
    transforms.push(transform('sanitize'));
    flags.push('characters_replaced');
  }
  // The tracking plan: naming, the schema registry and money, each violation
  // allowed, flagged or blocking as the project's policy says.
  const violations: PlanViolation[] = [];
  if (envelope.type === 'track' && envelope.event !== undefined) {
    transforms.push(transform('naming'));
    const naming = checkEventName(envelope.event, project.namingConvention);
    if (!naming.ok) violations.push({ kind: 'naming_violation', path: 'event', detail: naming.rule, message: naming.message });
  }
  const currency = normalizeCurrency(envelope.properties);
  if (currency.applies) transforms.push(transform('currency'));
  const registry = project.registry ?? EMPTY_REGISTRY;
  if (registry.keys().length > 0) transforms.push(transform('tracking_plan'));
  violations.push(...checkAgainstRegistry({ ...envelope, properties: currency.properties }, registry).violations, ...currency.violations);
  const plan = decidePlan(violations, project.trackingPlan ?? DEFAULT_TRACKING_PLAN);
  if (plan.kind === 'block') {
    return reject(
      plan.reason,
      {
        message: plan.message,
        violations: [
          ...plan.blocking.map((v) => ({ path: v.path, rule: v.kind, message: v.message, policy: 'block' })),
          ...plan.recorded.map((v) => ({ path: v.path, rule: v.kind, message: v.message, policy: 'flag' })),
        ],
        event: envelope.event ?? envelope.name ?? null,
        eventTime: toIso(time.eventTimeMs),
      },
      payload.value,
      messageId,
    );
  }
  flags.push(...plan.flags);
  const rawSessionId = envelope.context.sessionId;
  const event: PreparedEvent = {
    projectId: route.projectId,
    channel: route.channel,
    messageId: envelope.messageId,
    type: envelope.type,
    ...definedOnly({
      event: envelope.event,
      name: envelope.name,
      userId: envelope.userId,
      anonymousId: envelope.anonymousId,
      previousId: envelope.previousId,
      groupId: envelope.groupId,
      timestamp: envelope.timestamp,
      sentAt: envelope.sentAt,
      clientSessionId: rawSessionId === undefined || rawSessionId === null ? undefined : String(rawSessionId),
    }),
    properties: currency.properties,
    traits: envelope.traits,
    context: envelope.context,
    eventTime: toIso(time.eventTimeMs),
    receivedAt,
    source: message.source,
    transforms,
    flags,
    ...(project !== known && project.rulesVersion !== undefined ? { rulesVersion: project.rulesVersion } : {}),
  };
  return plan.recorded.length > 0 ? { kind: 'accepted', event, violations: plan.recorded } : { kind: 'accepted', event };
}

/** `{ deviceKey }` of a rejected message that names its ids, else nothing. */
function deviceOf(payload: unknown): { deviceKey?: string } {
  const ids = payload === undefined ? null : messageDeviceIds(payload);
  return ids ? { deviceKey: deviceKey(ids) } : {};
}

export function parseSubject(subject: string): { projectId: string; channel: string } | null {
  const m = SUBJECT.exec(subject);
  if (!m) return null;
  const [projectId, channel] = [m[1] as string, m[2] as string];
  if (!PROJECT_ID_PATTERN.test(projectId) || !CHANNEL_PATTERN.test(channel)) return null;
  return { projectId, channel };
}

/** For a malformed subject, the project and channel its tokens name, where they are well-formed. */
function attributeSubject(subject: string): { projectId: string | null; channel: string | null } {
  const [prefix, raw, projectId, channel] = subject.split('.');
  if (prefix !== 'braid' || raw !== 'raw') return { projectId: null, channel: null };
  return {
    projectId: projectId !== undefined && PROJECT_ID_PATTERN.test(projectId) ? projectId : null,
    channel: channel !== undefined && CHANNEL_PATTERN.test(channel) ? channel : null,
  };
}

function extractMessageId(parsed: unknown): string | null {
  if (typeof parsed !== 'object' || parsed === null) return null;
  const id = (parsed as { messageId?: unknown }).messageId;
  return typeof id === 'string' && id.length > 0 ? sanitizeJson(id.slice(0, 200)).value : null;
}

function definedOnly<T extends Record<string, unknown>>(fields: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
