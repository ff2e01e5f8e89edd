import { randomUUID } from 'node:crypto';
import { describeIssues, envelopeSchema, MAX_EVENT_BYTES, type EventType } from '../contracts/envelope';
import { BraidValidationError } from './errors';
import type { TrackingPlan } from './tracking-plan';

type JsonObject = Record<string, unknown>;

export const SDK_LIBRARY = { name: 'braid-sdk-node', version: '0.1.0' } as const;

/** An event ready to publish: its envelope minus `sentAt`, which each attempt stamps. */
export interface BuiltEvent {
  messageId: string;
  envelope: JsonObject;
}

export interface BuildOptions {
  now?: () => Date;
  newId?: () => string;
  /** Merged under each event's own context (the event's keys win); `library` is always the SDK's. */
  context?: JsonObject;
  trackingPlan?: TrackingPlan;
}

const isPlainObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Builds and checks one event: the contract's envelope (the same zod schema
 * ingest uses), the 32 KiB limit, and, for `track`, the app's tracking plan.
 * Throws BraidValidationError; never publishes anything. Pure apart from the
 * clock and id defaults.
 */
export function buildEvent(type: EventType, input: JsonObject, options: BuildOptions = {}): BuiltEvent {
  const now = options.now ?? (() => new Date());
  const event: JsonObject = { ...input, type };
  if (event.messageId === undefined || event.messageId === null) event.messageId = (options.newId ?? randomUUID)();
  const messageId = typeof event.messageId === 'string' ? event.messageId : null;
  const timestamp = event.timestamp === undefined || event.timestamp === null ? now() : event.timestamp;
  event.timestamp = timestamp instanceof Date ? timestamp.toISOString() : timestamp;
  const own = isPlainObject(input.context) ? input.context : {};
  event.context = { ...options.context, ...own, library: SDK_LIBRARY };

  if (type === 'track' && options.trackingPlan && typeof event.event === 'string') {
    const schema = options.trackingPlan[event.event];
    if (!schema) {
      throw new BraidValidationError('unplanned_event', [{ path: 'event', rule: 'unplanned_event', message: `"${event.event}" is not in the tracking plan` }], messageId);
    }
    const parsed = schema.safeParse(event.properties ?? {});
    if (!parsed.success) {
      const violations = parsed.error.issues.map((i) => ({ path: ['properties', ...i.path.map(String)].join('.'), rule: 'tracking_plan', message: i.message }));
      throw new BraidValidationError('invalid_properties', violations, messageId);
    }
    event.properties = parsed.data;
  }

  // Checked with a sentAt of the length every attempt will stamp, so the size check holds for each.
  const probe = { ...event, sentAt: event.timestamp };
  const parsed = envelopeSchema.safeParse(probe);
  if (!parsed.success) {
    const { reason, violations } = describeIssues(parsed.error.issues, probe);
    throw new BraidValidationError(reason, violations, messageId);
  }
  const bytes = Buffer.byteLength(JSON.stringify({ ...event, sentAt: new Date(0).toISOString() }));
  if (bytes > MAX_EVENT_BYTES) {
    throw new BraidValidationError('payload_too_large', [{ path: '(root)', rule: 'payload_too_large', message: `${bytes} bytes; at most ${MAX_EVENT_BYTES}` }], messageId);
  }
  return { messageId: parsed.data.messageId, envelope: event };
}

/** The bytes of one publish attempt: the event with `sentAt` = now. */
export function encodeForSend(event: BuiltEvent, sentAt: Date): Uint8Array {
  return Buffer.from(JSON.stringify({ ...event.envelope, sentAt: sentAt.toISOString() }));
}
