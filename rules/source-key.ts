import type { EventSource } from './prepared-event';

/**
 * A message's identity in its source, `<stream>#<sequence>`: how held
 * events, staged rows and earlier rejections are matched to a message. Pure.
 */
export function sourceKey(message: { source: Pick<EventSource, 'stream' | 'sequence'> }): string {
  return `${message.source.stream}#${message.source.sequence}`;
}
