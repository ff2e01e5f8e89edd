import { deflateSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_EVENT_BYTES } from '../../contracts/envelope';
import { ensureIngestConsumer } from '../../runtime/services/jetstream';
import { RAW_STREAM } from '../../contracts/wire';
import { RECEIVED_AT_HEADER } from '../../contracts/wire';
import { msgId, sleep, track } from '../support/events';
import { startStack, uniqueId, type Stack } from '../support/stack';

// Collector settings for this file, read when startStack builds the API: a
// backlog bound only the lag test's own consumer can reach, and short caches
// so a revoked key and a drained backlog take effect within the test.
const lagDurable = uniqueId('collector_lag_');
Object.assign(process.env, {
  BRAID_COLLECTOR_LAG_CONSUMERS: lagDurable,
  BRAID_COLLECTOR_MAX_LAG: '50',
  BRAID_COLLECTOR_LAG_CACHE: '200ms',
  BRAID_COLLECTOR_KEY_CACHE: '300ms',
  BRAID_COLLECTOR_RETRY_AFTER: '2s',
});

const basic = (key: string) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;

interface Answer {
  status: number;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- bodies are asserted field by field
  body: any;
}

/** The HTTP collector on the real services: auth, limits, gzip, ids, partial batches, backpressure, CORS. */
describe('HTTP collector', () => {
  const projectId = uniqueId('coll');
  const lagProject = uniqueId('colllag');
  let stack: Stack;
  let url: string;
  let keys: Record<string, string>;
  let lagKeys: Record<string, string>;

  async function post(path: string, body: unknown, options: { key?: string | null; gzip?: boolean; headers?: Record<string, string> } = {}): Promise<Answer> {
    const key = options.key === undefined ? keys.web : options.key;
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    const res = await fetch(`${url}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(key ? { authorization: basic(key) } : {}),
        ...(options.gzip ? { 'content-encoding': 'gzip' } : {}),
        ...options.headers,
      },
      body: options.gzip ? gzipSync(text) : text,
    });
    const raw = await res.text();
    return { status: res.status, headers: res.headers, body: raw && res.headers.get('content-type')?.includes('json') ? JSON.parse(raw) : raw };
  }

  /** A request with exactly these bytes and headers (no JSON content type unless given). */
  async function postBytes(path: string, body: Buffer, headers: Record<string, string>): Promise<Answer> {
    const res = await fetch(`${url}${path}`, { method: 'POST', headers: { authorization: basic(keys.web as string), ...headers }, body });
    const raw = await res.text();
    return { status: res.status, headers: res.headers, body: raw && res.headers.get('content-type')?.includes('json') ? JSON.parse(raw) : raw };
  }

  /** Messages in BRAID_RAW for one project (what was published, whatever ingest did with it). */
  async function published(project: string): Promise<number> {
    const info = await stack.jsm.streams.info(RAW_STREAM, { subjects_filter: `braid.raw.${project}.>` });
    return Object.values(info.state.subjects ?? {}).reduce((a, b) => a + b, 0);
  }

  async function eventRows(ids: string[]) {
    const res = await stack.pool.query(
      `SELECT event_id, type, event, channel, user_id, anonymous_id, event_time, received_at, context, properties FROM analytics.events
       WHERE project_id = $1 AND event_id = ANY($2) ORDER BY event_id`,
      [projectId, ids],
    );
    return res.rows;
  }

  beforeAll(async () => {
    stack = await startStack({ projects: [], api: true, extraFilters: [`braid.raw.${projectId}.>`] });
    url = stack.api!.url;
    const made = await stack.api!.call('POST', '/api/projects', { projectId, name: 'collector test' });
    expect(made.status).toBe(201);
    keys = made.body.writeKeys;
    const lag = await stack.api!.call('POST', '/api/projects', { projectId: lagProject, name: 'collector lag test' });
    expect(lag.status).toBe(201);
    lagKeys = lag.body.writeKeys;
  });
  afterAll(async () => {
    await stack?.jsm.consumers.delete(RAW_STREAM, lagDurable).catch(() => undefined);
    await stack?.stop();
  });

  describe('accepted events', () => {
    it('sets type and messageId, stamps receivedAt, and passes every other field through unchanged', async () => {
      const before = Date.now();
      const event = {
        userId: 'ada',
        event: 'Order Completed',
        properties: { total: 12.5 },
        context: { page: { path: '/checkout' }, library: { name: 'curl', version: '8' } },
        integrations: { All: false, Mixpanel: true },
        _metadata: { bundled: ['Segment.io'] },
        timestamp: new Date(before - 1000).toISOString(),
      };
      const res = await post('/v1/track', event, { key: keys.backend });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ success: true, messageId: expect.any(String) });
      const messageId = res.body.messageId as string;

      await stack.drained(projectId, 1);
      const [row] = await eventRows([messageId]);
      expect(row).toMatchObject({ type: 'track', event: 'Order Completed', channel: 'backend', user_id: 'ada', properties: { total: 12.5 } });
      expect(row.context).toMatchObject(event.context);

      const lineage = await stack.pool.query(`SELECT source_sequence FROM analytics.lineage WHERE project_id = $1 AND event_id = $2`, [projectId, messageId]);
      const raw = await stack.jsm.streams.getMessage(RAW_STREAM, { seq: Number(lineage.rows[0].source_sequence) });
      expect(raw.subject).toBe(`braid.raw.${projectId}.backend`);
      expect(raw.header.get('Nats-Msg-Id')).toBe(messageId);
      const receivedAt = Date.parse(raw.header.get(RECEIVED_AT_HEADER));
      expect(receivedAt).toBeGreaterThanOrEqual(before);
      expect(receivedAt).toBeLessThanOrEqual(Date.now());
      expect(new Date(row.received_at).getTime()).toBe(receivedAt);
      expect(raw.json()).toEqual({ ...event, type: 'track', messageId });
    });

    it('takes gzip bodies, keeps client messageIds, and answers 200 only for acked events', async () => {
      const events = [track({ userId: 'gz' }), track({ userId: 'gz', event: 'Page Scrolled' }), { type: 'identify', messageId: msgId('id'), userId: 'gz', traits: { plan: 'pro' } }];
      const res = await post('/v1/batch', { batch: events }, { gzip: true });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ success: true, accepted: 3 });
      await stack.drained(projectId, 4);
      const rows = await eventRows(events.map((e) => e.messageId as string));
      expect(rows.map((r) => r.type).sort()).toEqual(['identify', 'track', 'track']);
      expect(rows.every((r) => r.channel === 'web')).toBe(true);
    });

    it('applies the clock-skew rule to a client whose clock is two hours behind (sentAt passed through)', async () => {
      const offset = -2 * 3600_000;
      const clientNow = Date.now() + offset;
      const event = track({ userId: 'skewed', timestamp: new Date(clientNow - 10 * 60_000).toISOString(), sentAt: new Date(clientNow).toISOString() });
      expect((await post('/v1/batch', { batch: [event] })).status).toBe(200);
      await stack.drained(projectId, 5);
      const [row] = await eventRows([event.messageId as string]);
      // eventTime = receivedAt − (sentAt − timestamp): ten minutes before receipt, not two hours off.
      expect(new Date(row.event_time).getTime()).toBe(new Date(row.received_at).getTime() - 10 * 60_000);
    });

    it("uses a batch's own sentAt and context for its events, the event's own values first", async () => {
      const sentAt = new Date(Date.now() - 3600_000).toISOString();
      const a = track({ userId: 'batchy', timestamp: new Date(Date.now() - 3600_000 - 60_000).toISOString() });
      const b = track({ userId: 'batchy', context: { locale: 'de-DE' } });
      const res = await post('/v1/batch', { batch: [a, b], sentAt, context: { locale: 'en-GB', app: { name: 'shop' } } });
      expect(res.status).toBe(200);
      await stack.drained(projectId, 7);
      const rows = await eventRows([a.messageId as string, b.messageId as string]);
      const byId = Object.fromEntries(rows.map((r) => [r.event_id, r]));
      expect(byId[a.messageId as string].context).toMatchObject({ locale: 'en-GB', app: { name: 'shop' } });
      expect(byId[b.messageId as string].context).toMatchObject({ locale: 'de-DE', app: { name: 'shop' } });
      // The batch's sentAt is an hour off the receipt, so a's time is corrected: a minute before receipt.
      const rowA = byId[a.messageId as string];
      expect(new Date(rowA.event_time).getTime()).toBe(new Date(rowA.received_at).getTime() - 60_000);
    });

    it.each([
      { label: 'deflate', headers: { 'content-encoding': 'deflate' }, encode: (b: Buffer) => deflateSync(b) },
      { label: 'x-gzip', headers: { 'content-encoding': 'x-gzip' }, encode: (b: Buffer) => gzipSync(b) },
      { label: 'GZIP in capitals', headers: { 'content-encoding': ' GZIP ' }, encode: (b: Buffer) => gzipSync(b) },
      { label: 'identity', headers: { 'content-encoding': 'identity' }, encode: (b: Buffer) => b },
      { label: 'text/plain (browser beacons)', headers: { 'content-type': 'text/plain' }, encode: (b: Buffer) => b },
      { label: 'no Content-Type at all', headers: {}, encode: (b: Buffer) => b },
    ])('takes a body sent as $label', async ({ headers, encode }) => {
      const event = track({ userId: 'encodings' });
      const before = await published(projectId);
      const res = await postBytes('/v1/batch', encode(Buffer.from(JSON.stringify({ batch: [event] }))), headers as Record<string, string>);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ success: true, accepted: 1 });
      expect(await published(projectId)).toBe(before + 1);
    });
  });

  describe('bad input', () => {
    it.each([
      { label: 'no Authorization header', key: null, code: 'unauthorized' },
      { label: 'a bearer token instead of Basic', key: 'bearer', code: 'unauthorized' },
      { label: 'an unknown write key', key: 'wk_web_not-a-real-key', code: 'invalid_write_key' },
    ])('answers 401 $code for $label, and publishes nothing', async ({ key, code }) => {
      const before = await published(projectId);
      const res =
        key === 'bearer'
          ? await post('/v1/track', track(), { key: null, headers: { authorization: `Bearer ${keys.web}` } })
          : await post('/v1/batch', { batch: [track(), track()] }, { key });
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ error: { code, message: expect.any(String) } });
      expect(await published(projectId)).toBe(before);
    });

    it('stops taking a write key once it is revoked, and publishes nothing with it', async () => {
      const added = await stack.api!.call('PATCH', `/api/projects/${projectId}`, { channels: ['web', 'mobile', 'backend', 'kiosk'] });
      const kioskKey = added.body.newWriteKeys.kiosk as string;
      expect((await post('/v1/track', track(), { key: kioskKey })).status).toBe(200);
      await stack.pool.query(`UPDATE braid.write_keys SET revoked_at = now() WHERE project_id = $1 AND channel = 'kiosk'`, [projectId]);
      await sleep(400); // the collector's key cache (300 ms in this file)
      const before = await published(projectId);
      const res = await post('/v1/track', track(), { key: kioskKey });
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('invalid_write_key');
      expect(await published(projectId)).toBe(before);
    });

    it('answers 413 for a request over 500 KB, plain or as a gzip bomb, and publishes nothing', async () => {
      const before = await published(projectId);
      const filler = 'x'.repeat(20_000);
      const big = { batch: Array.from({ length: 30 }, () => track({ properties: { filler } })) };
      const plain = await post('/v1/batch', big);
      expect(plain.status).toBe(413);
      expect(plain.body.error.code).toBe('payload_too_large');
      const bomb = await post('/v1/track', { ...track(), properties: { filler: 'y'.repeat(2_000_000) } }, { gzip: true });
      expect(bomb.status).toBe(413);
      expect(bomb.body.error.code).toBe('payload_too_large');
      expect(await published(projectId)).toBe(before);
    });

    it('answers 413 for one event over 32 KiB, and publishes nothing', async () => {
      const before = await published(projectId);
      const event = track({ properties: { filler: 'z'.repeat(MAX_EVENT_BYTES) } });
      const res = await post('/v1/track', event);
      expect(res.status).toBe(413);
      expect(res.body.error).toMatchObject({
        code: 'payload_too_large',
        details: { accepted: [], rejected: [{ index: 0, messageId: event.messageId, reason: 'payload_too_large' }] },
      });
      expect(await published(projectId)).toBe(before);
    });

    it('publishes the 99 good events of a batch of 100 and answers 400 naming the bad one and why', async () => {
      const start = (await stack.accounting(projectId))?.accepted ?? 0;
      const events = Array.from({ length: 100 }, (_, i) => track({ userId: 'batch100', properties: { i } }));
      const bad = events[42] as Record<string, unknown>;
      delete bad.userId;
      delete bad.anonymousId;
      const res = await post('/v1/batch', { batch: events });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('invalid_events');
      expect(res.body.error.message).toMatch(/1 of 100 events were rejected/);
      expect(res.body.error.details.rejected).toEqual([
        {
          index: 42,
          messageId: bad.messageId,
          reason: 'missing_identity',
          message: expect.any(String),
          violations: [expect.objectContaining({ path: 'userId', rule: 'missing_identity' })],
        },
      ]);
      const accepted = res.body.error.details.accepted as { index: number; messageId: string }[];
      expect(accepted).toHaveLength(99);
      expect(accepted.map((a) => a.index)).not.toContain(42);
      expect(accepted.map((a) => a.messageId)).toEqual(events.filter((e) => e !== bad).map((e) => e.messageId));

      await stack.drained(projectId, start + 99);
      const rows = await eventRows(events.map((e) => e.messageId as string));
      expect(rows).toHaveLength(99);
      expect(rows.map((r) => r.event_id)).not.toContain(bad.messageId);
      const rejected = await stack.pool.query(`SELECT count(*)::int AS n FROM analytics.rejected_events WHERE project_id = $1 AND message_id = $2`, [projectId, bad.messageId]);
      expect(rejected.rows[0].n).toBe(0);
    });

    it.each([
      { label: 'a body that is not JSON', path: '/v1/track', body: '{"userId": ', code: 'invalid_json' },
      { label: 'a batch that is not a list', path: '/v1/batch', body: { batch: { type: 'track' } }, code: 'invalid_batch' },
      { label: 'an array instead of an object', path: '/v1/identify', body: [track()], code: 'invalid_request' },
    ])('answers 400 $code for $label', async ({ path, body, code }) => {
      const res = await post(path, body);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe(code);
    });

    it('answers 400 with the reason for a single bad event', async () => {
      const res = await post('/v1/alias', { userId: 'ada', messageId: msgId('alias') });
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'invalid_events', details: { accepted: [], rejected: [{ index: 0, reason: 'missing_previous_id' }] } });
    });

    it('answers 400 for a body that claims gzip but is not', async () => {
      const res = await post('/v1/track', track(), { headers: { 'content-encoding': 'gzip' } });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('invalid_encoding');
    });

    it.each([
      { label: 'a cut-off gzip body', headers: { 'content-encoding': 'gzip' }, body: gzipSync(JSON.stringify(track())).subarray(0, 20), status: 400, code: 'invalid_encoding' },
      { label: 'an encoding braid does not undo (br)', headers: { 'content-encoding': 'br' }, body: Buffer.from(JSON.stringify(track())), status: 415, code: 'unsupported_content_encoding' },
      { label: 'bytes that are not UTF-8', headers: {}, body: Buffer.from([0x7b, 0x22, 0xe9, 0x22, 0x7d]), status: 400, code: 'invalid_utf8' },
      { label: 'an empty JSON body', headers: { 'content-type': 'application/json' }, body: Buffer.alloc(0), status: 400, code: 'invalid_json' },
      { label: 'no body at all', headers: {}, body: Buffer.alloc(0), status: 400, code: 'invalid_request' },
      { label: 'a gzip body whose compressed size is over 500 KB', headers: { 'content-encoding': 'gzip' }, body: gzipSync(Buffer.alloc(600_000, 'x'), { level: 0 }), status: 413, code: 'payload_too_large' },
    ])('answers $status $code for $label, and publishes nothing', async ({ headers, body, status, code }) => {
      const before = await published(projectId);
      const res = await postBytes('/v1/track', body, headers as Record<string, string>);
      expect(res.status).toBe(status);
      expect(res.body).toEqual({ error: { code, message: expect.any(String) } });
      expect(await published(projectId)).toBe(before);
    });
  });

  describe('backpressure', () => {
    it('answers 429 with Retry-After while the ingest backlog is over its bound, and publishes nothing meanwhile', async () => {
      const lagKey = lagKeys.web;
      // A consumer nobody reads: every event published for lagProject adds to its backlog.
      await ensureIngestConsumer(stack.jsm, { durable: lagDurable, filterSubject: `braid.raw.${lagProject}.>`, ackWaitMs: 30_000, maxAckPending: 1000 });

      const batch = { batch: Array.from({ length: 60 }, () => track()) };
      expect((await post('/v1/batch', batch, { key: lagKey })).status).toBe(200);
      await sleep(400); // past the 200 ms backlog cache
      const before = await published(lagProject);
      const res = await post('/v1/batch', { batch: [track()] }, { key: lagKey });
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBe('2');
      expect(res.body.error).toMatchObject({ code: 'ingestion_behind', details: { backlog: 60, bound: 50 } });
      expect(await published(lagProject)).toBe(before);

      // Only consumers whose filter covers the subject count: the main project is not held back.
      expect((await post('/v1/track', track())).status).toBe(200);

      await stack.jsm.consumers.delete(RAW_STREAM, lagDurable);
      await sleep(400);
      expect((await post('/v1/batch', { batch: [track()] }, { key: lagKey })).status).toBe(200);
    });
  });

  describe('browsers', () => {
    it('answers a CORS preflight and marks answers, errors included, readable cross-origin', async () => {
      const preflight = await fetch(`${url}/v1/batch`, {
        method: 'OPTIONS',
        headers: { origin: 'https://shop.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,content-encoding' },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
      expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
      expect(preflight.headers.get('access-control-allow-headers')?.toLowerCase().split(/,\s*/)).toEqual(
        expect.arrayContaining(['authorization', 'content-type', 'content-encoding']),
      );

      const ok = await post('/v1/page', { anonymousId: 'browser-1', name: 'Home' }, { headers: { origin: 'https://shop.example' } });
      expect(ok.status).toBe(200);
      expect(ok.headers.get('access-control-allow-origin')).toBe('*');
      const denied = await post('/v1/page', { anonymousId: 'browser-1', name: 'Home' }, { key: 'nope', headers: { origin: 'https://shop.example' } });
      expect(denied.status).toBe(401);
      expect(denied.headers.get('access-control-allow-origin')).toBe('*');

      // The operator API is not opened to browsers.
      const api = await fetch(`${url}/api/projects/${projectId}`, { method: 'OPTIONS', headers: { origin: 'https://shop.example', 'access-control-request-method': 'GET' } });
      expect(api.headers.get('access-control-allow-origin')).toBeNull();
    });
  });
});
