import { parseIsoTimestamp } from '../contracts/timestamps';
import { RECEIVED_AT_HEADER } from '../contracts/wire';

/** What braid reads of a raw message to know when it was received. */
export interface ReceivedMessage {
  headers?: { get(name: string): string } | undefined;
  info: { timestampNanos: number };
}

/** When braid received a raw message: the collector's stamp, else the time JetStream stored it. Pure. */
export function receivedAtMs(msg: ReceivedMessage): number {
  const stamped = msg.headers?.get(RECEIVED_AT_HEADER);
  const parsed = stamped ? parseIsoTimestamp(stamped) : null;
  return parsed ?? Math.floor(msg.info.timestampNanos / 1_000_000);
}
