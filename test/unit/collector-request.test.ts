import { describe, expect, it } from 'vitest';
import { MAX_EVENT_BYTES } from '../../contracts/envelope';
import {
  normalizeContentEncoding,
  parseRequestBody,
  prepareEvents,
  publishedAnswer,
  unpublishedAnswer,
  writeKeyFromAuthorization,
  type ReadyEvent,
  type RejectedEvent,
} from '../../rules/collector-request';

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
    { label: 'null', event: null, reason: 'not_an_object' },
    { label: 'a number', event: 42, reason: 'not_an_object' },
    { label: 'a nested batch', event: [{ type: 'identify', messageId: 'n', userId: 'u' }], reason: 'not_an_object' },
    { label: 'nothing at all ({})', event: {}, reason: 'missing_type' },
    { label: 'a type in the wrong case', event: { type: 'Track', messageId: 'x', userId: 'u', event: 'E' }, reason: 'unknown_type' },
    { label: 'an object as userId', event: { type: 'identify', messageId: 'x', userId: { id: 1 } }, reason: 'invalid_user_id' },
    { label: 'a context that is a string', event: { type: 'identify', messageId: 'x', userId: 'u', context: 'web' }, reason: 'invalid_context' },
    { label: 'an empty sessionId', event: { type: 'identify', messageId: 'x', userId: 'u', context: { sessionId: '' } }, reason: 'invalid_session_id' },
    { label: 'a timestamp as a local date', event: { type: 'identify', messageId: 'x', userId: 'u', timestamp: '31/01/2026' }, reason: 'invalid_timestamp' },
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
    { label: 'blanks around the key', header: `Basic ${b64('  wk_web_abc  :')}  `, key: 'wk_web_abc' },
    { label: 'Basic without credentials', header: 'Basic ', key: null },
    { label: 'two credentials', header: `Basic ${b64('a:')} ${b64('b:')}`, key: null },
    { label: 'an empty header', header: '', key: null },
  ])('$label → $key', ({ header, key }) => {
    expect(writeKeyFromAuthorization(header)).toBe(key);
  });
});

describe('prepareEvents with ugly inputs', () => {
  const ready = (out: ReturnType<typeof prepareEvents>) => {
    if (out.kind !== 'events') throw new Error(`expected events, got ${out.code}`);
    return out;
  };

  it('keeps a messageId of exactly 100 characters and the string "null" as given', () => {
    const out = ready(
      prepareEvents(
        'batch',
        { batch: [{ type: 'identify', messageId: 'm'.repeat(100), userId: 'u' }, { type: 'identify', messageId: 'null', userId: 'u' }] },
        () => 'never-used',
      ),
    );
    expect(out.ready.map((e) => [e.messageId, e.generatedId])).toEqual([
      ['m'.repeat(100), false],
      ['null', false],
    ]);
  });

  it('gives every event of a batch its own generated id, and only those without one', () => {
    let i = 0;
    const out = ready(
      prepareEvents(
        'batch',
        { batch: [{ type: 'identify', userId: 'u' }, { type: 'identify', userId: 'u', messageId: 'own' }, { type: 'identify', userId: 'u', messageId: null }] },
        () => `id-${++i}`,
      ),
    );
    expect(out.ready.map((e) => e.messageId)).toEqual(['id-1', 'own', 'id-2']);
    expect(out.ready.map((e) => e.generatedId)).toEqual([true, false, true]);
  });

  it('generates no id for an event it rejects as not an object', () => {
    let calls = 0;
    const out = ready(prepareEvents('batch', { batch: ['x', null] }, () => `id-${++calls}`));
    expect(calls).toBe(0);
    expect(out.rejected.map((r) => r.messageId)).toEqual([null, null]);
  });

  it('ignores batch defaults of the wrong kind, and an event context that is not an object stays as sent (and is rejected)', () => {
    const out = ready(
      prepareEvents(
        'batch',
        {
          sentAt: 1_700_000_000,
          context: 'shared',
          integrations: ['All'],
          batch: [
            { type: 'identify', messageId: 'a', userId: 'u' },
            { type: 'identify', messageId: 'b', userId: 'u', context: 'own' },
          ],
        },
        newId,
      ),
    );
    expect(published(out.ready[0]!)).toEqual({ type: 'identify', messageId: 'a', userId: 'u' });
    expect(out.rejected).toEqual([expect.objectContaining({ index: 1, reason: 'invalid_context' })]);
  });

  it("does not let a batch's own context replace an event context that is not an object", () => {
    const out = ready(prepareEvents('batch', { context: { locale: 'en' }, batch: [{ type: 'identify', messageId: 'c', userId: 'u', context: [1] }] }, newId));
    expect(out.rejected).toEqual([expect.objectContaining({ index: 0, reason: 'invalid_context' })]);
  });

  it("takes the batch's sentAt for an event whose sentAt is null", () => {
    const out = ready(prepareEvents('batch', { sentAt: '2026-01-31T12:00:00Z', batch: [{ type: 'identify', messageId: 's', userId: 'u', sentAt: null }] }, newId));
    expect(published(out.ready[0]!).sentAt).toBe('2026-01-31T12:00:00Z');
  });

  it('counts the limit in UTF-8 bytes, not characters', () => {
    const base = { type: 'track', messageId: 'utf8', userId: 'u', event: 'E', properties: { f: '' } };
    const room = MAX_EVENT_BYTES - Buffer.byteLength(JSON.stringify(base));
    // 'é' is two bytes: half the room in characters fills it exactly, one more goes over.
    const fits = { ...base, properties: { f: 'é'.repeat(room / 2) } };
    const over = { ...base, properties: { f: 'é'.repeat(room / 2) + 'x' } };
    const out = ready(prepareEvents('batch', { batch: [fits, over] }, newId));
    expect(out.ready.map((e) => e.data.length)).toEqual([MAX_EVENT_BYTES]);
    expect(out.rejected).toEqual([expect.objectContaining({ index: 1, reason: 'payload_too_large', messageId: 'utf8' })]);
  });

  it('judges the size before the envelope: a huge event with no ids is too large, not missing an id', () => {
    const out = ready(prepareEvents('track', { properties: { f: 'x'.repeat(MAX_EVENT_BYTES) } }, () => 'gen'));
    expect(out.rejected).toEqual([expect.objectContaining({ index: 0, messageId: 'gen', reason: 'payload_too_large' })]);
  });
});

describe('parseRequestBody', () => {
  const bytes = (...b: number[]) => Uint8Array.from(b);
  it.each([
    { label: 'an object', body: Buffer.from('{"a":1}'), value: { a: 1 } },
    { label: 'a UTF-8 byte order mark', body: Buffer.from('\ufeff{"a":1}'), value: { a: 1 } },
    { label: 'blanks around JSON', body: Buffer.from(' \n{"a":"é"}\n'), value: { a: 'é' } },
    { label: 'an escaped lone surrogate', body: Buffer.from('{"a":"\\ud800"}'), value: { a: '\ud800' } },
    { label: 'JSON null', body: Buffer.from('null'), value: null },
    { label: 'a JSON string', body: Buffer.from('"hi"'), value: 'hi' },
  ])('reads $label', ({ body, value }) => {
    expect(parseRequestBody(body)).toEqual({ kind: 'json', value });
  });

  it.each([
    { label: 'nothing', body: bytes(), code: 'invalid_json' },
    { label: 'blanks only', body: Buffer.from(' \r\n\t'), code: 'invalid_json' },
    { label: 'cut-off JSON', body: Buffer.from('{"userId": '), code: 'invalid_json' },
    { label: 'JSON with a trailing comma', body: Buffer.from('{"a":1,}'), code: 'invalid_json' },
    { label: 'a Latin-1 byte', body: bytes(0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xe9, 0x22, 0x7d), code: 'invalid_utf8' },
    { label: 'an overlong UTF-8 encoding', body: bytes(0xc0, 0xaf), code: 'invalid_utf8' },
    { label: 'gzip bytes sent without Content-Encoding', body: bytes(0x1f, 0x8b, 0x08, 0x00), code: 'invalid_utf8' },
  ])('refuses $label ($code)', ({ body, code }) => {
    expect(parseRequestBody(body)).toMatchObject({ kind: 'invalid', code, message: expect.any(String) });
  });
});

describe('normalizeContentEncoding', () => {
  it.each([
    { header: undefined, encoding: undefined },
    { header: '', encoding: undefined },
    { header: '  ', encoding: undefined },
    { header: 'gzip', encoding: 'gzip' },
    { header: ' GZip ', encoding: 'gzip' },
    { header: 'x-gzip', encoding: 'gzip' },
    { header: 'X-GZIP', encoding: 'gzip' },
    { header: 'deflate', encoding: 'deflate' },
    { header: 'identity', encoding: 'identity' },
    { header: 'br', encoding: 'br' },
  ])('$header → $encoding', ({ header, encoding }) => {
    expect(normalizeContentEncoding(header)).toBe(encoding);
  });
});

describe('the answer to a request', () => {
  const event = (index: number, generatedId = false): ReadyEvent => ({ index, messageId: `m${index}`, data: Buffer.from('{}'), generatedId });
  const rejection = (index: number, reason: RejectedEvent['reason']): RejectedEvent => ({ index, messageId: `m${index}`, reason, message: `${reason}!`, violations: [] });

  it.each([
    {
      label: 'a single event, accepted',
      route: 'track' as const,
      ready: [event(0, true)],
      rejected: [],
      unconfirmed: [],
      answer: { kind: 'ok', body: { success: true, messageId: 'm0' } },
    },
    {
      label: 'a batch, all accepted with their own ids',
      route: 'batch' as const,
      ready: [event(0), event(1)],
      rejected: [],
      unconfirmed: [],
      answer: { kind: 'ok', body: { success: true, accepted: 2 } },
    },
    {
      label: 'a batch with generated ids',
      route: 'batch' as const,
      ready: [event(0), event(1, true)],
      rejected: [],
      unconfirmed: [],
      answer: { kind: 'ok', body: { success: true, accepted: 2, generatedMessageIds: [{ index: 1, messageId: 'm1' }] } },
    },
    {
      label: 'an empty batch',
      route: 'batch' as const,
      ready: [],
      rejected: [],
      unconfirmed: [],
      answer: { kind: 'ok', body: { success: true, accepted: 0 } },
    },
    {
      label: 'a batch with one bad event',
      route: 'batch' as const,
      ready: [event(0), event(2)],
      rejected: [rejection(1, 'missing_identity')],
      unconfirmed: [],
      answer: {
        kind: 'error',
        status: 400,
        code: 'invalid_events',
        message: '1 of 3 events were rejected and not published; the other 2 were accepted',
        details: { accepted: [{ index: 0, messageId: 'm0' }, { index: 2, messageId: 'm2' }], rejected: [rejection(1, 'missing_identity')] },
        retry: false,
      },
    },
    {
      label: 'a single event that is too large',
      route: 'page' as const,
      ready: [],
      rejected: [rejection(0, 'payload_too_large')],
      unconfirmed: [],
      answer: {
        kind: 'error',
        status: 413,
        code: 'payload_too_large',
        message: 'the event was rejected (payload_too_large): payload_too_large!',
        details: { accepted: [], rejected: [rejection(0, 'payload_too_large')] },
        retry: false,
      },
    },
    {
      label: 'a batch with one too large and one malformed',
      route: 'batch' as const,
      ready: [],
      rejected: [rejection(0, 'payload_too_large'), rejection(1, 'missing_type')],
      unconfirmed: [],
      answer: { kind: 'error', status: 400, code: 'invalid_events', retry: false },
    },
    {
      label: 'a batch JetStream confirmed only in part',
      route: 'batch' as const,
      ready: [event(0), event(1), event(2)],
      rejected: [rejection(3, 'missing_identity')],
      unconfirmed: [1, 2],
      answer: {
        kind: 'error',
        status: 503,
        code: 'ingest_unavailable',
        message: expect.stringMatching(/^JetStream did not confirm 2 of 3 events \(1 accepted\); retry the request/),
        details: {
          accepted: [{ index: 0, messageId: 'm0' }],
          unconfirmed: [
            { index: 1, messageId: 'm1', error: 'TIMEOUT' },
            { index: 2, messageId: 'm2', error: 'TIMEOUT' },
          ],
          rejected: [rejection(3, 'missing_identity')],
        },
        retry: true,
      },
    },
  ])('$label', ({ route, ready, rejected, unconfirmed, answer }: { route: 'track' | 'page' | 'batch'; ready: ReadyEvent[]; rejected: RejectedEvent[]; unconfirmed: number[]; answer: object }) => {
    const published = {
      accepted: ready.filter((e) => !unconfirmed.includes(e.index)),
      unconfirmed: ready.filter((e) => unconfirmed.includes(e.index)).map((e) => ({ event: e, error: 'TIMEOUT' })),
    };
    expect(publishedAnswer(route, { ready, rejected }, published)).toMatchObject(answer);
  });

  it('says nothing was published when NATS is unreachable, listing the rejected events', () => {
    expect(unpublishedAnswer([rejection(1, 'missing_type')])).toEqual({
      kind: 'error',
      status: 503,
      code: 'ingest_unavailable',
      message: 'NATS is unreachable; nothing of this request was published',
      details: { accepted: [], unconfirmed: [], rejected: [rejection(1, 'missing_type')] },
      retry: true,
    });
  });
});
