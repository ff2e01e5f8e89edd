import { RAW_STREAM } from '../contracts/wire';
import type { Receipt } from '../db/receipts';
import { decodeMessage, type ProjectRules, type Rejection } from '../rules/decode-message';
import type { PreparedEvent } from '../rules/prepared-event';
import { receivedAtMs, type ReceivedMessage } from '../rules/received-at';

/** What ingest reads of a JetStream message to classify it. */
export interface ChunkMessage extends ReceivedMessage {
  subject: string;
  data: Uint8Array;
  info: { streamSequence: number; deliveryCount: number; timestampNanos: number };
}

export interface ClassifiedChunk<M> {
  /** One per message: that braid received it, and for which project and channel when known. */
  receipts: Receipt[];
  rejected: { msg: M; rejection: Rejection }[];
  accepted: { msg: M; event: PreparedEvent }[];
}

/**
 * Decodes a pulled chunk: every message gets a receipt, and is either
 * rejected (with its reason) or accepted as a prepared event. A good message
 * delivered more than `crashLoopDeliveries` times (it keeps crashing its
 * consumer) is rejected as `delivery_attempts_exhausted` rather than retried
 * for ever. Pure: the project lookup is handed in.
 */
export function classifyChunk<M extends ChunkMessage>(chunk: readonly M[], lookupProject: (projectId: string) => ProjectRules | undefined, crashLoopDeliveries: number): ClassifiedChunk<M> {
  const classified: ClassifiedChunk<M> = { receipts: [], rejected: [], accepted: [] };
  for (const msg of chunk) {
    const receivedAt = receivedAtMs(msg);
    const source = { stream: RAW_STREAM, sequence: msg.info.streamSequence, subject: msg.subject };
    const outcome = decodeMessage({ subject: msg.subject, data: msg.data, receivedAtMs: receivedAt, source }, lookupProject);
    const known = outcome.kind === 'accepted' ? outcome.event : outcome.rejection;
    classified.receipts.push({
      sourceStream: RAW_STREAM,
      sourceSequence: source.sequence,
      projectId: known.projectId ?? null,
      channel: known.channel ?? null,
      receivedAt: new Date(receivedAt).toISOString(),
    });
    if (outcome.kind === 'rejected') classified.rejected.push({ msg, rejection: outcome.rejection });
    else if (msg.info.deliveryCount > crashLoopDeliveries) classified.rejected.push({ msg, rejection: exhausted(outcome.event, msg.info.deliveryCount) });
    else classified.accepted.push({ msg, event: outcome.event });
  }
  return classified;
}

/** The rejection of an event whose hand-off failed `deliveries` times. */
export function exhausted(event: PreparedEvent, deliveries: number, error?: unknown): Rejection {
  return {
    projectId: event.projectId,
    channel: event.channel,
    subject: event.source.subject,
    receivedAt: event.receivedAt,
    messageId: event.messageId,
    reason: 'delivery_attempts_exhausted',
    details: { message: `handing the event to its session failed ${deliveries} times`, deliveries, lastError: error ? String((error as Error).message ?? error) : undefined },
    payload: { ...event },
    source: event.source,
  };
}
