import { describe, expect, it } from 'vitest';
import { splitInBatchRepeats } from '../../activities/canonical-events';
import type { CanonicalDraft } from '../../activities/canonical-events.types';
import { sourceKey } from '../../rules/source-key';

/** `<messageId>@<stream>#<sequence>`; the stream is `raw` unless given. */
type Spec = string;

function draft(spec: Spec): CanonicalDraft {
  const [messageId, position] = spec.split('@') as [string, string];
  const [stream, sequence] = position.includes('#') ? (position.split('#') as [string, string]) : ['raw', position];
  return {
    projectId: 'p',
    channel: 'web',
    messageId,
    type: 'track',
    event: 'Viewed',
    anonymousId: 'dev-1',
    properties: {},
    traits: {},
    context: {},
    eventTime: '2026-05-01T10:00:00.000Z',
    receivedAt: '2026-05-01T10:00:01.000Z',
    source: { stream, sequence: Number(sequence), subject: null },
    transforms: [],
    flags: [],
    deviceKey: 'a:dev-1',
  };
}

const label = (e: CanonicalDraft) => `${e.messageId}@${sourceKey(e)}`;

describe('splitInBatchRepeats', () => {
  it.each([
    { case: 'an empty drain', events: [], unique: [], repeats: [] },
    { case: 'one event', events: ['a@1'], unique: ['a@raw#1'], repeats: [] },
    { case: 'distinct messageIds: none repeats, ordered by messageId', events: ['c@1', 'a@2', 'b@3'], unique: ['a@raw#2', 'b@raw#3', 'c@raw#1'], repeats: [] },
    { case: 'all repeats of one messageId: the earliest position is the first', events: ['a@3', 'a@1', 'a@2'], unique: ['a@raw#1'], repeats: ['a@raw#2', 'a@raw#3'] },
    {
      case: 'interleaved sequences of repeats',
      events: ['a@1', 'b@2', 'a@3', 'c@4', 'b@5', 'a@6'],
      unique: ['a@raw#1', 'b@raw#2', 'c@raw#4'],
      repeats: ['a@raw#3', 'b@raw#5', 'a@raw#6'],
    },
    { case: 'a drain out of source order', events: ['b@9', 'a@7', 'b@4', 'a@8'], unique: ['a@raw#7', 'b@raw#4'], repeats: ['a@raw#8', 'b@raw#9'] },
    { case: 'the same position twice (a redelivery in one drain)', events: ['a@5', 'a@5'], unique: ['a@raw#5'], repeats: ['a@raw#5'] },
    { case: 'the same messageId from two streams: the lower sequence is the first, whatever its stream', events: ['a@S1#7', 'a@S2#3'], unique: ['a@S2#3'], repeats: ['a@S1#7'] },
    { case: 'the same messageId at the same sequence of two streams: the drain order decides', events: ['a@S2#4', 'a@S1#4'], unique: ['a@S2#4'], repeats: ['a@S1#4'] },
    { case: 'messageIds in code unit order (upper case first)', events: ['b@1', 'B@2', 'a@3', 'a10@4', 'a9@5'], unique: ['B@raw#2', 'a@raw#3', 'a10@raw#4', 'a9@raw#5', 'b@raw#1'], repeats: [] },
  ] as { case: string; events: Spec[]; unique: string[]; repeats: string[] }[])('$case', ({ events, unique, repeats }) => {
    const result = splitInBatchRepeats(events.map(draft));
    expect(result.unique.map(label)).toEqual(unique);
    expect(result.inBatchRepeats.map(label)).toEqual(repeats);
  });

  it('keeps every event exactly once and leaves its input as it was', () => {
    const input = ['b@2', 'a@1', 'b@3', 'a@1', 'c@9'].map(draft);
    const before = input.map(label);
    const { unique, inBatchRepeats } = splitInBatchRepeats(input);
    expect([...unique, ...inBatchRepeats]).toHaveLength(input.length);
    expect(new Set([...unique, ...inBatchRepeats])).toEqual(new Set(input));
    expect(input.map(label)).toEqual(before);
  });
});
