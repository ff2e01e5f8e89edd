import type { EventType } from '../contracts/envelope';
import type { Transform } from './transforms';

/** Where a message came from: a stream sequence, or a line of a backfill file. */
export interface EventSource {
  stream: string;
  sequence: number;
  subject: string | null;
}

/**
 * An accepted, validated and normalized event on its way to its session
 * workflow. Plain JSON, so it travels in Temporal payloads unchanged.
 */
export interface PreparedEvent {
  projectId: string;
  channel: string;
  messageId: string;
  type: EventType;
  event?: string;
  name?: string;
  userId?: string;
  anonymousId?: string;
  previousId?: string;
  groupId?: string;
  properties: Record<string, unknown>;
  traits: Record<string, unknown>;
  context: Record<string, unknown>;
  /** UTC ISO-8601, after the event-time rule. */
  eventTime: string;
  /** The client's timestamp as sent, if any. */
  timestamp?: string;
  sentAt?: string;
  receivedAt: string;
  /** The client's `context.sessionId`, as text. */
  clientSessionId?: string;
  source: EventSource;
  transforms: Transform[];
  /** Data-quality notes that did not stop the event (clock skew, naming, …). */
  flags: string[];
  /** Set when a canary's rules decided the event: that canary's rules version (the writer applies its settings too). */
  rulesVersion?: number;
}
