import { describe, expect, it } from 'vitest';
import type { ProjectRules } from '../../rules/decode-message';
import { classifyChunk, type ChunkMessage } from '../../ingest/chunk';

const PROJECTS: Record<string, ProjectRules> = {
  acme: { projectId: 'acme', channels: ['web', 'backend'], skewToleranceSeconds: 30, namingConvention: 'any' },
};
const lookup = (id: string) => PROJECTS[id];
const STORED_MS = Date.UTC(2026, 0, 31, 12, 0, 0);
const encode = (x: unknown) => new TextEncoder().encode(typeof x === 'string' ? x : JSON.stringify(x));

let sequence = 0;
function msg(subject: string, payload: unknown, over: { deliveryCount?: number; stamped?: string } = {}): ChunkMessage {
  sequence += 1;
  return {
    subject,
    data: encode(payload),
    headers: over.stamped ? { get: (name: string) => (name === 'Braid-Received-At' ? (over.stamped as string) : '') } : undefined,
    info: { streamSequence: sequence, deliveryCount: over.deliveryCount ?? 1, timestampNanos: STORED_MS * 1_000_000 },
  };
}
const track = (fields: Record<string, unknown> = {}) => ({ type: 'track', messageId: `m-${Math.random()}`, anonymousId: 'a-1', event: 'Clicked', ...fields });

describe('classifyChunk', () => {
  it.each([
    { label: 'an empty chunk', messages: [] as ChunkMessage[], accepted: 0, rejected: [] as string[] },
    { label: 'one good event', messages: [msg('braid.raw.acme.web', track())], accepted: 1, rejected: [] },
    { label: 'not JSON', messages: [msg('braid.raw.acme.web', '{nope')], accepted: 0, rejected: ['invalid_json'] },
    { label: 'an unknown project', messages: [msg('braid.raw.nobody.web', track())], accepted: 0, rejected: ['unknown_project'] },
    { label: 'a channel the project does not have', messages: [msg('braid.raw.acme.kiosk', track())], accepted: 0, rejected: ['unknown_channel'] },
    {
      label: 'good and bad mixed, in order',
      messages: [msg('braid.raw.acme.web', track()), msg('braid.raw.acme.web', 42), msg('braid.raw.acme.backend', track({ userId: 'u-1' }))],
      accepted: 2,
      rejected: ['not_an_object'],
    },
    { label: 'a good event in a crash loop', messages: [msg('braid.raw.acme.web', track(), { deliveryCount: 101 })], accepted: 0, rejected: ['delivery_attempts_exhausted'] },
    { label: 'a good event redelivered a few times', messages: [msg('braid.raw.acme.web', track(), { deliveryCount: 100 })], accepted: 1, rejected: [] },
  ])('$label', ({ messages, accepted, rejected }) => {
    const out = classifyChunk(messages, lookup, 100);
    expect(out.receipts).toHaveLength(messages.length);
    expect(out.receipts.map((r) => r.sourceSequence)).toEqual(messages.map((m) => m.info.streamSequence));
    expect(out.accepted).toHaveLength(accepted);
    expect(out.rejected.map((r) => r.rejection.reason)).toEqual(rejected);
    for (const { msg: m, event } of out.accepted) expect(event.source).toEqual({ stream: 'BRAID_RAW', sequence: m.info.streamSequence, subject: m.subject });
  });

  it('records project and channel on receipts when they are known, null when not', () => {
    const out = classifyChunk([msg('braid.raw.acme.web', track()), msg('braid.raw.nobody.web', track()), msg('not.a.raw.subject', track())], lookup, 100);
    expect(out.receipts.map((r) => [r.projectId, r.channel])).toEqual([
      ['acme', 'web'],
      ['nobody', 'web'],
      [null, null],
    ]);
  });

  it.each([
    { label: 'the collector stamp', stamped: '2026-01-31T11:59:58.500Z', expected: '2026-01-31T11:59:58.500Z' },
    { label: 'no stamp: the time JetStream stored it', stamped: undefined, expected: '2026-01-31T12:00:00.000Z' },
    { label: 'a stamp that is not a time', stamped: 'yesterday', expected: '2026-01-31T12:00:00.000Z' },
  ])('takes the received time from $label', ({ stamped, expected }) => {
    const out = classifyChunk([msg('braid.raw.acme.web', track(), { stamped })], lookup, 100);
    expect(out.receipts[0]?.receivedAt).toBe(expected);
    expect(out.accepted[0]?.event.receivedAt).toBe(expected);
  });
});
