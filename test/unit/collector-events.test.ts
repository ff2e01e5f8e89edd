import { describe, expect, it } from 'vitest';
import { MAX_EVENT_BYTES } from '../../contracts/envelope';
import { prepareEvents, subjectMatches, writeKeyFromAuthorization, type ReadyEvent } from '../../api/routes/collector';

let n = 0;
const newId = () => `gen-${++n}`;
const published = (e: ReadyEvent) => JSON.parse(e.data.toString('utf8'));

describe('prepareEvents (the collector turning a request into events)', () => {
  it('sets type from a single-event route, over whatever the body said', () => {
    const out = prepareEvents('page', { type: 'track', messageId: 'm1', anonymousId: 'a', name: 'Home' }, newId);
    expect(out.kind).toBe('events');
    if (out.kind !== 'events') return;
    expect(published(out.ready[0]!)).toMatchObject({ type: 'page', messageId: 'm1' });
  });

  it.each([
    { label: 'absent', messageId: undefined },
    { label: 'null', messageId: null },
  ])('generates a messageId when it is $label, and says so', ({ messageId }) => {
    const out = prepareEvents('track', { messageId, userId: 'u', event: 'Order Completed' }, () => 'made-here');
    if (out.kind !== 'events') throw new Error('expected events');
    expect(out.ready[0]).toMatchObject({ messageId: 'made-here', generatedId: true });
    expect(published(out.ready[0]!).messageId).toBe('made-here');
  });

  it('passes unknown and Segment-only fields through unchanged', () => {
    const body = {
      messageId: 'm2',
      userId: 'u',
      event: 'Order Completed',
      sentAt: '2026-01-31T12:00:00.000Z',
      integrations: { All: false, Amplitude: { session_id: 7 } },
      _metadata: { bundled: ['Segment.io'], unbundled: [] },
      context: { ip: '203.0.113.9', consent: { categoryPreferences: { Analytics: true } } },
      channel: 'server',
      extra: [1, { deep: null }],
    };
    const out = prepareEvents('track', body, newId);
    if (out.kind !== 'events') throw new Error('expected events');
    expect(published(out.ready[0]!)).toEqual({ ...body, type: 'track' });
  });

  it("fills a batch's events from its sentAt, context and integrations, the event's own values first", () => {
    const out = prepareEvents(
      'batch',
      {
        sentAt: '2026-01-31T12:00:00.000Z',
        context: { locale: 'en-GB', app: { name: 'shop' } },
        integrations: { All: true },
        batch: [
          { type: 'track', messageId: 'a', userId: 'u', event: 'Order Completed' },
          { type: 'track', messageId: 'b', userId: 'u', event: 'Order Completed', sentAt: '2026-01-31T11:00:00.000Z', context: { locale: 'de-DE' }, integrations: { All: false } },
        ],
      },
      newId,
    );
    if (out.kind !== 'events') throw new Error('expected events');
    const [a, b] = out.ready.map(published);
    expect(a).toMatchObject({ sentAt: '2026-01-31T12:00:00.000Z', context: { locale: 'en-GB', app: { name: 'shop' } }, integrations: { All: true } });
    expect(b).toMatchObject({ sentAt: '2026-01-31T11:00:00.000Z', context: { locale: 'de-DE', app: { name: 'shop' } }, integrations: { All: false } });
  });

  it("takes RudderStack's originalTimestamp as the timestamp only when there is none", () => {
    const out = prepareEvents(
      'batch',
      {
        batch: [
          { type: 'track', messageId: 'r1', userId: 'u', event: 'Order Completed', originalTimestamp: '2026-01-31T10:00:00.000Z' },
          { type: 'track', messageId: 'r2', userId: 'u', event: 'Order Completed', originalTimestamp: '2026-01-31T10:00:00.000Z', timestamp: '2026-01-31T09:00:00.000Z' },
        ],
      },
      newId,
    );
    if (out.kind !== 'events') throw new Error('expected events');
    expect(out.ready.map(published).map((e) => e.timestamp)).toEqual(['2026-01-31T10:00:00.000Z', '2026-01-31T09:00:00.000Z']);
  });

  it.each([
    { label: 'not an object', event: 'hello', reason: 'not_an_object' },
    { label: 'an array', event: [1], reason: 'not_an_object' },
    { label: 'no type', event: { messageId: 'x', userId: 'u' }, reason: 'missing_type' },
    { label: 'an unknown type', event: { type: 'click', messageId: 'x', userId: 'u' }, reason: 'unknown_type' },
    { label: 'no ids', event: { type: 'track', messageId: 'x', event: 'Order Completed' }, reason: 'missing_identity' },
    { label: '"null"-like blank ids', event: { type: 'track', messageId: 'x', userId: '  ', event: 'Order Completed' }, reason: 'missing_identity' },
    { label: 'track without event', event: { type: 'track', messageId: 'x', userId: 'u' }, reason: 'missing_event' },
    { label: 'an empty messageId', event: { type: 'track', messageId: '', userId: 'u', event: 'E' }, reason: 'missing_message_id' },
    { label: 'a 101-character messageId', event: { type: 'track', messageId: 'm'.repeat(101), userId: 'u', event: 'E' }, reason: 'message_id_too_long' },
    { label: 'a numeric messageId', event: { type: 'track', messageId: 7, userId: 'u', event: 'E' }, reason: 'invalid_message_id' },
    { label: 'a timestamp without offset', event: { type: 'track', messageId: 'x', userId: 'u', event: 'E', timestamp: '2026-01-31T12:00:00' }, reason: 'invalid_timestamp' },
    { label: 'an impossible sentAt', event: { type: 'track', messageId: 'x', userId: 'u', event: 'E', sentAt: '2026-02-30T12:00:00Z' }, reason: 'invalid_sent_at' },
    { label: 'properties as a list', event: { type: 'track', messageId: 'x', userId: 'u', event: 'E', properties: [] }, reason: 'invalid_properties' },
    { label: 'alias without previousId', event: { type: 'alias', messageId: 'x', userId: 'u' }, reason: 'missing_previous_id' },
    { label: 'group without groupId', event: { type: 'group', messageId: 'x', userId: 'u' }, reason: 'missing_group_id' },
  ])('rejects an event with $label ($reason), keeping the others', ({ event, reason }) => {
    const good = { type: 'identify', messageId: 'ok', userId: 'u' };
    const out = prepareEvents('batch', { batch: [good, event, good] }, newId);
    if (out.kind !== 'events') throw new Error('expected events');
    expect(out.ready.map((e) => e.index)).toEqual([0, 2]);
    expect(out.rejected).toEqual([expect.objectContaining({ index: 1, reason })]);
    expect(out.rejected[0]!.violations.length).toBeGreaterThanOrEqual(reason === 'not_an_object' ? 0 : 1);
  });

  it('takes an event of exactly 32 KiB and rejects one of 32 KiB + 1 byte', () => {
    const base = { type: 'track', messageId: 'big', userId: 'u', event: 'E', properties: { f: '' } };
    const room = MAX_EVENT_BYTES - Buffer.byteLength(JSON.stringify(base));
    const exact = { ...base, properties: { f: 'x'.repeat(room) } };
    const over = { ...base, properties: { f: 'x'.repeat(room + 1) } };
    const out = prepareEvents('batch', { batch: [exact, over] }, newId);
    if (out.kind !== 'events') throw new Error('expected events');
    expect(out.ready.map((e) => e.data.length)).toEqual([MAX_EVENT_BYTES]);
    expect(out.rejected).toEqual([expect.objectContaining({ index: 1, reason: 'payload_too_large' })]);
  });

  it.each([
    { label: 'a list', route: 'track' as const, body: [], code: 'invalid_request' },
    { label: 'null', route: 'track' as const, body: null, code: 'invalid_request' },
    { label: 'a batch without a list', route: 'batch' as const, body: { batch: 'nope' }, code: 'invalid_batch' },
    { label: 'a batch missing', route: 'batch' as const, body: { events: [] }, code: 'invalid_batch' },
  ])('refuses a body that is $label as a whole ($code)', ({ route, body, code }) => {
    expect(prepareEvents(route, body, newId)).toMatchObject({ kind: 'invalid', code });
  });

  it('takes an empty batch as nothing to do', () => {
    expect(prepareEvents('batch', { batch: [] }, newId)).toEqual({ kind: 'events', ready: [], rejected: [] });
  });
});

describe('writeKeyFromAuthorization', () => {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  it.each([
    { label: 'Segment style key:', header: `Basic ${b64('wk_web_abc:')}`, key: 'wk_web_abc' },
    { label: 'key without colon', header: `Basic ${b64('wk_web_abc')}`, key: 'wk_web_abc' },
    { label: 'key:password (password ignored)', header: `basic ${b64('wk_web_abc:secret')}`, key: 'wk_web_abc' },
    { label: 'no header', header: undefined, key: null },
    { label: 'a bearer token', header: 'Bearer wk_web_abc', key: null },
    { label: 'an empty user', header: `Basic ${b64(':pw')}`, key: null },
    { label: 'garbage', header: 'Basic !!!', key: null },
  ])('$label → $key', ({ header, key }) => {
    expect(writeKeyFromAuthorization(header)).toBe(key);
  });
});

describe('subjectMatches (which consumers count for a subject)', () => {
  it.each([
    { filter: 'braid.raw.>', subject: 'braid.raw.shop.web', match: true },
    { filter: 'braid.raw.shop.>', subject: 'braid.raw.shop.web', match: true },
    { filter: 'braid.raw.other.>', subject: 'braid.raw.shop.web', match: false },
    { filter: 'braid.raw.*.web', subject: 'braid.raw.shop.web', match: true },
    { filter: 'braid.raw.*.web', subject: 'braid.raw.shop.mobile', match: false },
    { filter: 'braid.raw.shop.web', subject: 'braid.raw.shop.web', match: true },
    { filter: 'braid.raw.shop', subject: 'braid.raw.shop.web', match: false },
    { filter: 'braid.raw.shop.web.>', subject: 'braid.raw.shop.web', match: false },
  ])('$filter vs $subject → $match', ({ filter, subject, match }) => {
    expect(subjectMatches(filter, subject)).toBe(match);
  });
});
