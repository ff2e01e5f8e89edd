import { millis, type JsMsg } from 'nats';
import { parseIsoTimestamp } from '../rules/timestamps';

/** Header the HTTP collector sets with the time it received the event. */
export const RECEIVED_AT_HEADER = 'Braid-Received-At';

/** When braid received a raw message: the collector's stamp, else the time JetStream stored it. */
export function receivedAtMs(msg: Pick<JsMsg, 'headers' | 'info'>): number {
  const stamped = msg.headers?.get(RECEIVED_AT_HEADER);
  const parsed = stamped ? parseIsoTimestamp(stamped) : null;
  return parsed ?? millis(msg.info.timestampNanos);
}
