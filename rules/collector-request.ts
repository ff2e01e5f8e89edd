import { describeIssues, envelopeSchema, EVENT_TYPES, MAX_EVENT_BYTES, MAX_JSON_DEPTH, type EventType, type RejectionReason, type Violation } from '../contracts/envelope';
import { nestsDeeperThan } from './json-depth';

/**
 * The HTTP collector's rules for one request (contract section 3), pure: from
 * the bytes of a body to events ready to publish and events rejected with the
 * contract's reasons, and from what JetStream acked to the answer. The effects
 * (write keys, backlog, publishing, fastify) live in api/collector/.
 *
 * A request's events are judged one by one. The valid ones of a batch are
 * published even when others are not, and the answer then lists both sides,
 * so nothing is half-written without the body saying which events were kept.
 */

export type CollectorRoute = EventType | 'batch';
export const COLLECTOR_ROUTES: readonly CollectorRoute[] = [...EVENT_TYPES, 'batch'];

/** A request that cannot be taken as a whole, before any event is judged. */
export interface InvalidRequest {
  kind: 'invalid';
  code: 'invalid_request' | 'invalid_batch' | 'invalid_json' | 'invalid_utf8';
  message: string;
}

export interface AcceptedEvent {
  index: number;
  messageId: string;
}

export interface RejectedEvent {
  index: number;
  messageId: string | null;
  reason: RejectionReason;
  message: string;
  violations: Violation[];
}

export interface ReadyEvent extends AcceptedEvent {
  /** The event as published: UTF-8 JSON, at most MAX_EVENT_BYTES. */
  data: Buffer;
  /** The client sent no messageId and the collector made one. */
  generatedId: boolean;
}

export type PreparedRequest = { kind: 'events'; ready: ReadyEvent[]; rejected: RejectedEvent[] } | InvalidRequest;

type JsonObject = Record<string, unknown>;
const isPlainObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A request body (already decompressed) as JSON: strict UTF-8, not empty. */
export function parseRequestBody(body: Uint8Array): { kind: 'json'; value: unknown } | InvalidRequest {
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    return { kind: 'invalid', code: 'invalid_utf8', message: 'the body is not valid UTF-8' };
  }
  if (text.trim().length === 0) return { kind: 'invalid', code: 'invalid_json', message: 'the body is empty; send JSON' };
  try {
    return { kind: 'json', value: JSON.parse(text) };
  } catch (error) {
    return { kind: 'invalid', code: 'invalid_json', message: `the body is not JSON: ${(error as Error).message}` };
  }
}

/**
 * Turns a request body into events ready to publish and events rejected with
 * the contract's reasons. Fields pass through unchanged (context,
 * integrations, _metadata, sentAt, anything else); the collector only adds:
 * `type` from a single-event route, a `messageId` from `newId` when the client
 * sent none, the batch's own `sentAt`, `context` and `integrations` as
 * defaults for its events (Segment's batch semantics), and `timestamp` from
 * RudderStack's `originalTimestamp` when only that is given.
 */
export function prepareEvents(route: CollectorRoute, body: unknown, newId: () => string): PreparedRequest {
  if (!isPlainObject(body)) return { kind: 'invalid', code: 'invalid_request', message: 'the body must be one JSON object' };
  let items: unknown[];
  let defaults: JsonObject = {};
  if (route === 'batch') {
    if (!Array.isArray(body.batch)) return { kind: 'invalid', code: 'invalid_batch', message: 'the body must be {"batch": [event, ...]}' };
    items = body.batch;
    defaults = body;
  } else {
    items = [body];
  }
  const ready: ReadyEvent[] = [];
  const rejected: RejectedEvent[] = [];
  items.forEach((item, index) => {
    const outcome = prepareEvent(route, item, index, defaults, newId);
    if ('reason' in outcome) rejected.push(outcome);
    else ready.push(outcome);
  });
  return { kind: 'events', ready, rejected };
}

function prepareEvent(route: CollectorRoute, item: unknown, index: number, batch: JsonObject, newId: () => string): ReadyEvent | RejectedEvent {
  if (!isPlainObject(item)) {
    return { index, messageId: null, reason: 'not_an_object', message: 'each event must be a JSON object', violations: [] };
  }
  const event: JsonObject = { ...item };
  if (route !== 'batch') event.type = route;
  let generatedId = false;
  if (event.messageId === undefined || event.messageId === null) {
    event.messageId = newId();
    generatedId = true;
  }
  if (event.sentAt === undefined || event.sentAt === null) {
    if (typeof batch.sentAt === 'string') event.sentAt = batch.sentAt;
  }
  for (const field of ['context', 'integrations'] as const) {
    const shared = batch[field];
    if (!isPlainObject(shared)) continue;
    const own = event[field];
    if (own === undefined || own === null) event[field] = shared;
    else if (isPlainObject(own)) event[field] = { ...shared, ...own };
  }
  if ((event.timestamp === undefined || event.timestamp === null) && typeof event.originalTimestamp === 'string') {
    event.timestamp = event.originalTimestamp;
  }
  const messageId = typeof event.messageId === 'string' ? event.messageId : null;
  if (nestsDeeperThan(event, MAX_JSON_DEPTH)) {
    const message = `objects and arrays nest at most ${MAX_JSON_DEPTH} levels deep`;
    return { index, messageId, reason: 'too_deeply_nested', message, violations: [{ path: '(root)', rule: 'too_deeply_nested', message }] };
  }
  const data = Buffer.from(JSON.stringify(event));
  if (data.length > MAX_EVENT_BYTES) {
    return {
      index,
      messageId,
      reason: 'payload_too_large',
      message: `the event is ${data.length} bytes; at most ${MAX_EVENT_BYTES}`,
      violations: [{ path: '(root)', rule: 'payload_too_large', message: `at most ${MAX_EVENT_BYTES} bytes as UTF-8 JSON` }],
    };
  }
  const parsed = envelopeSchema.safeParse(event);
  if (!parsed.success) {
    const { reason, violations } = describeIssues(parsed.error.issues, event);
    const first = violations[0];
    return { index, messageId, reason, message: first ? `${first.path}: ${first.message}` : reason, violations };
  }
  return { index, messageId: parsed.data.messageId, data, generatedId };
}

/** The write key from `Authorization: Basic base64(<writeKey>:)`, or null. */
export function writeKeyFromAuthorization(header: string | undefined): string | null {
  if (!header) return null;
  const match = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header);
  if (!match) return null;
  const decoded = Buffer.from(match[1] as string, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const user = (colon === -1 ? decoded : decoded.slice(0, colon)).trim();
  return user.length > 0 ? user : null;
}

/**
 * `Content-Encoding` as the decompressor names it: case and surrounding blanks
 * dropped, `x-gzip` read as `gzip` (RFC 9110 §8.4.1.3); undefined when absent.
 */
export function normalizeContentEncoding(header: string | undefined): string | undefined {
  const encoding = header?.trim().toLowerCase();
  if (!encoding) return undefined;
  return encoding === 'x-gzip' ? 'gzip' : encoding;
}

/** What JetStream said about the ready events of a request. */
export interface PublishOutcome {
  accepted: ReadyEvent[];
  unconfirmed: { event: ReadyEvent; error: string }[];
}

export type CollectorSuccess =
  | { success: true; messageId: string | undefined }
  | { success: true; accepted: number; generatedMessageIds?: AcceptedEvent[] };

/** The answer to a request, in the contract's terms; `retry` answers carry Retry-After. */
export type CollectorAnswer =
  | { kind: 'ok'; body: CollectorSuccess }
  | { kind: 'error'; status: 400 | 413 | 503; code: 'invalid_events' | 'payload_too_large' | 'ingest_unavailable'; message: string; details: unknown; retry: boolean };

const acceptedIds = (events: ReadyEvent[]): AcceptedEvent[] => events.map(({ index, messageId }) => ({ index, messageId }));

/** NATS is unreachable before anything was published: nothing of the request is stored. */
export function unpublishedAnswer(rejected: RejectedEvent[]): CollectorAnswer {
  return {
    kind: 'error',
    status: 503,
    code: 'ingest_unavailable',
    message: 'NATS is unreachable; nothing of this request was published',
    details: { accepted: [], unconfirmed: [], rejected },
    retry: true,
  };
}

/**
 * The answer once every publish of the request is acked or has failed: 503
 * while any event is unconfirmed (the client retries the whole request;
 * messageIds make resends harmless), 413 when every rejected event was too
 * large, 400 when others were rejected, else 200.
 */
export function publishedAnswer(route: CollectorRoute, prepared: { ready: ReadyEvent[]; rejected: RejectedEvent[] }, published: PublishOutcome): CollectorAnswer {
  const { ready, rejected } = prepared;
  if (published.unconfirmed.length > 0) {
    return {
      kind: 'error',
      status: 503,
      code: 'ingest_unavailable',
      message:
        `JetStream did not confirm ${published.unconfirmed.length} of ${ready.length} events (${published.accepted.length} accepted); ` +
        'retry the request: events are deduplicated by messageId, so resending accepted ones adds nothing',
      details: {
        accepted: acceptedIds(published.accepted),
        unconfirmed: published.unconfirmed.map(({ event, error }) => ({ index: event.index, messageId: event.messageId, error })),
        rejected,
      },
      retry: true,
    };
  }
  if (rejected.length > 0) {
    const allTooLarge = rejected.every((r) => r.reason === 'payload_too_large');
    const total = ready.length + rejected.length;
    return {
      kind: 'error',
      status: allTooLarge ? 413 : 400,
      code: allTooLarge ? 'payload_too_large' : 'invalid_events',
      message:
        route === 'batch'
          ? `${rejected.length} of ${total} events were rejected and not published; the other ${ready.length} were accepted`
          : `the event was rejected (${rejected[0]?.reason}): ${rejected[0]?.message}`,
      details: { accepted: acceptedIds(ready), rejected },
      retry: false,
    };
  }
  if (route !== 'batch') return { kind: 'ok', body: { success: true, messageId: ready[0]?.messageId } };
  const generated = ready.filter((e) => e.generatedId);
  return { kind: 'ok', body: generated.length > 0 ? { success: true, accepted: ready.length, generatedMessageIds: acceptedIds(generated) } : { success: true, accepted: ready.length } };
}
