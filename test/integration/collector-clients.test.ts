import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Analytics as SegmentAnalytics } from '@segment/analytics-node';
import RudderAnalytics from '@rudderstack/rudder-sdk-node';
import type { FastifyInstance } from 'fastify';
import { Events, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../api/server';
import { createLogger } from '../../runtime/logger';
import { connectNats } from '../../runtime/services/nats';
import { NatsPathProxy } from '../support/nats-server';
import { startStack, uniqueId, type Stack } from '../support/stack';

Object.assign(process.env, {
  BRAID_COLLECTOR_PUBLISH_TIMEOUT: '1500ms',
  BRAID_COLLECTOR_RETRY_AFTER: '1s',
  BRAID_COLLECTOR_LAG_CONSUMERS: 'collector_clients_no_such_consumer',
});

const run = promisify(execFile);

/**
 * A device whose clock runs two hours behind, sending with both libraries
 * from their own process (so only the client's clock is off, not the
 * collector's): Date is shifted before the libraries load.
 */
const SKEWED_CLIENT = `
const skew = Number(process.env.SKEW_MS);
const RealDate = Date;
class SkewedDate extends RealDate {
  constructor(...args) { if (args.length === 0) super(RealDate.now() + skew); else super(...args); }
  static now() { return RealDate.now() + skew; }
}
globalThis.Date = SkewedDate;
const { Analytics } = require('@segment/analytics-node');
const Rudder = require('@rudderstack/rudder-sdk-node');
(async () => {
  const segment = new Analytics({ writeKey: process.env.SEGMENT_KEY, host: process.env.COLLECTOR_URL, flushAt: 2, flushInterval: 10000 });
  segment.track({ userId: 'skewed-segment', event: 'Order Completed' });
  segment.track({ userId: 'skewed-segment', event: 'Cart Viewed', timestamp: new Date(Date.now() - 10 * 60000) });
  await segment.closeAndFlush();
  const rudder = new Rudder(process.env.RUDDER_KEY, { dataPlaneUrl: process.env.COLLECTOR_URL, flushAt: 2, flushInterval: 10000, logLevel: 'error' });
  rudder.track({ userId: 'skewed-rudder', event: 'Order Completed' });
  rudder.track({ userId: 'skewed-rudder', event: 'Cart Viewed', originalTimestamp: new Date(Date.now() - 10 * 60000) });
  await rudder.flush();
  await rudder.flush();
})().catch((error) => { console.error(error); process.exit(1); });
`;

/** Segment's and RudderStack's published Node libraries, unchanged, pointed at braid's collector. */
describe('real clients against the HTTP collector', () => {
  const segmentProject = uniqueId('segment');
  const rudderProject = uniqueId('rudder');
  let stack: Stack;
  let url: string;
  let segmentKey: string;
  let rudderKey: string;

  async function rows(projectId: string, userId: string) {
    const res = await stack.pool.query(
      `SELECT event_id, type, event, user_id, anonymous_id, channel, event_time, received_at, context, properties, traits FROM analytics.events
       WHERE project_id = $1 AND (user_id = $2 OR anonymous_id = $2) ORDER BY event_time, event_id`,
      [projectId, userId],
    );
    return res.rows;
  }

  async function landed(projectId: string, userId: string, n: number) {
    await expect.poll(async () => (await rows(projectId, userId)).length, { timeout: 60_000, interval: 250 }).toBe(n);
    return rows(projectId, userId);
  }

  beforeAll(async () => {
    stack = await startStack({ projects: [], api: true, extraFilters: [segmentProject, rudderProject].map((p) => `braid.raw.${p}.>`) });
    url = stack.api!.url;
    const segment = await stack.api!.call('POST', '/api/projects', { projectId: segmentProject, name: 'Segment client' });
    const rudder = await stack.api!.call('POST', '/api/projects', { projectId: rudderProject, name: 'RudderStack client' });
    expect([segment.status, rudder.status]).toEqual([201, 201]);
    segmentKey = segment.body.writeKeys.backend;
    rudderKey = rudder.body.writeKeys.backend;
  });
  afterAll(async () => {
    await stack?.stop();
  });

  describe('@segment/analytics-node', () => {
    it('delivers every call type in batches of flushAt, ids and context as the library made them', async () => {
      const analytics = new SegmentAnalytics({ writeKey: segmentKey, host: url, flushAt: 10, flushInterval: 10_000 });
      const batches: number[] = [];
      const statuses: number[] = [];
      analytics.on('http_request', (req) => batches.push((JSON.parse(req.body) as { batch: unknown[] }).batch.length));
      analytics.on('http_response', (res) => statuses.push(res.status));
      const messageIds: string[] = [];
      const remember = (_err: unknown, ctx?: { event: { messageId?: string } }) => ctx?.event.messageId && messageIds.push(ctx.event.messageId);

      analytics.identify({ userId: 'seg-ada', anonymousId: 'seg-anon-1', traits: { plan: 'pro' } }, remember);
      for (let i = 0; i < 20; i += 1) analytics.track({ userId: 'seg-ada', event: 'Product Viewed', properties: { i } }, remember);
      analytics.page({ userId: 'seg-ada', name: 'Checkout', properties: { path: '/checkout' } }, remember);
      analytics.screen({ userId: 'seg-ada', name: 'Cart' }, remember);
      analytics.group({ userId: 'seg-ada', groupId: 'acme', traits: { seats: 5 } }, remember);
      analytics.alias({ userId: 'seg-ada', previousId: 'seg-anon-1' }, remember);
      await analytics.closeAndFlush();

      expect(batches.sort((a, b) => a - b)).toEqual([5, 10, 10]);
      expect(statuses).toEqual([200, 200, 200]);
      const got = await landed(segmentProject, 'seg-ada', 25);
      expect(got.map((r) => r.event_id).sort()).toEqual([...messageIds].sort());
      expect(got.map((r) => r.type).sort()).toEqual(['alias', 'group', 'identify', 'page', 'screen', ...Array(20).fill('track')].sort());
      expect(got.every((r) => r.channel === 'backend')).toBe(true);
      expect(got[0].context).toMatchObject({ library: { name: '@segment/analytics-node' } });
      const identify = got.find((r) => r.type === 'identify');
      expect(identify).toMatchObject({ anonymous_id: 'seg-anon-1', traits: { plan: 'pro' } });
    });
  });

  describe('@rudderstack/rudder-sdk-node', () => {
    it('delivers gzip batches of at most flushAt events', async () => {
      const client = new RudderAnalytics(rudderKey, { dataPlaneUrl: url, flushAt: 5, flushInterval: 10_000, logLevel: 'error' });
      const batchOf = new Map<unknown, number>();
      const errors: unknown[] = [];
      const callback = (err?: unknown, data?: unknown) => {
        if (err) errors.push(err);
        batchOf.set(data, (batchOf.get(data) ?? 0) + 1);
      };
      client.identify({ userId: 'rud-ada', anonymousId: 'rud-anon-1', traits: { plan: 'pro' } }, callback);
      for (let i = 0; i < 10; i += 1) client.track({ userId: 'rud-ada', event: 'Product Viewed', properties: { i } }, callback);
      client.page({ userId: 'rud-ada', name: 'Checkout' }, callback);
      await client.flush();
      await client.flush();
      await expect.poll(() => [...batchOf.values()].reduce((a, b) => a + b, 0)).toBe(12);

      expect(errors).toEqual([]);
      const sizes = [...batchOf.values()];
      expect(sizes.length).toBeGreaterThanOrEqual(3);
      expect(Math.max(...sizes)).toBeLessThanOrEqual(5);
      const got = await landed(rudderProject, 'rud-ada', 12);
      expect(got.map((r) => r.type).sort()).toEqual(['identify', 'page', ...Array(10).fill('track')].sort());
      expect(got.find((r) => r.type === 'page')).toMatchObject({ event: 'Checkout' });
      expect(got[0].context).toMatchObject({ library: { name: 'analytics-node' } });
    });
  });

  it("corrects both libraries' events from a device whose clock is two hours behind, through their sentAt", async () => {
    await run(process.execPath, ['-e', SKEWED_CLIENT], {
      env: { ...process.env, SKEW_MS: String(-2 * 3600_000), SEGMENT_KEY: segmentKey, RUDDER_KEY: rudderKey, COLLECTOR_URL: url },
      timeout: 60_000,
    });
    for (const [projectId, userId] of [
      [segmentProject, 'skewed-segment'],
      [rudderProject, 'skewed-rudder'],
    ] as const) {
      const got = await landed(projectId, userId, 2);
      const byEvent = Object.fromEntries(got.map((r) => [r.event, r]));
      const offset = (name: string) => new Date(byEvent[name].received_at).getTime() - new Date(byEvent[name].event_time).getTime();
      // Without the correction these would be two hours (and two hours ten minutes) before receipt.
      expect(Math.abs(offset('Order Completed'))).toBeLessThan(5_000);
      expect(Math.abs(offset('Cart Viewed') - 10 * 60_000)).toBeLessThan(5_000);
    }
  });

  describe('retries through a NATS outage', () => {
    let proxy: NatsPathProxy;
    let nc: NatsConnection;
    let app: FastifyInstance;
    let proxiedUrl: string;
    const statuses: number[] = [];
    let healAfterFirst503 = false;

    beforeAll(async () => {
      const natsUrl = new URL(process.env.NATS_URL ?? 'nats://127.0.0.1:4222');
      proxy = new NatsPathProxy({ host: natsUrl.hostname, port: Number(natsUrl.port || 4222) });
      await proxy.start();
      nc = await connectNats(proxy.url, 'collector-clients-test');
      app = buildApi({ pool: stack.pool, nc, temporal: stack.client, taskQueue: stack.taskQueue, log: createLogger('silent', 'test') });
      app.addHook('onResponse', async (request, reply) => {
        if (!request.url.startsWith('/v1/')) return;
        statuses.push(reply.statusCode);
        if (reply.statusCode === 503 && healAfterFirst503) {
          healAfterFirst503 = false;
          await proxy.restore();
        }
      });
      await app.listen({ port: 0, host: '127.0.0.1' });
      proxiedUrl = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    });
    afterAll(async () => {
      await app?.close();
      await nc?.close();
      await proxy?.stop();
    });

    async function cutNats() {
      statuses.length = 0;
      const disconnected = (async () => {
        for await (const s of nc.status()) if (s.type === Events.Disconnect) return;
      })();
      await proxy.cut();
      await disconnected;
      healAfterFirst503 = true;
    }

    it('@segment/analytics-node retries a 503 with backoff and each event lands once', async () => {
      await cutNats();
      const analytics = new SegmentAnalytics({ writeKey: segmentKey, host: proxiedUrl, flushAt: 8, flushInterval: 10_000, maxRetries: 5 });
      const failures: unknown[] = [];
      for (let i = 0; i < 8; i += 1) analytics.track({ userId: 'seg-retry', event: 'Order Completed', properties: { i } }, (err) => err && failures.push(err));
      await analytics.closeAndFlush({ timeout: 60_000 });
      expect(failures).toEqual([]);
      expect(statuses[0]).toBe(503);
      expect(statuses.at(-1)).toBe(200);
      const got = await landed(segmentProject, 'seg-retry', 8);
      expect(new Set(got.map((r) => r.event_id)).size).toBe(8);
    });

    it('@rudderstack/rudder-sdk-node retries a 503 and each event lands once', async () => {
      await cutNats();
      const client = new RudderAnalytics(rudderKey, { dataPlaneUrl: proxiedUrl, flushAt: 20, flushInterval: 10_000, logLevel: 'error' });
      const errors: unknown[] = [];
      let done = 0;
      for (let i = 0; i < 6; i += 1) {
        client.track({ userId: 'rud-retry', event: 'Order Completed', properties: { i } }, (err?: unknown) => {
          done += 1;
          if (err) errors.push(err);
        });
      }
      await client.flush();
      await client.flush();
      await expect.poll(() => done, { timeout: 30_000 }).toBe(6);
      expect(errors).toEqual([]);
      expect(statuses[0]).toBe(503);
      expect(statuses.at(-1)).toBe(200);
      const got = await landed(rudderProject, 'rud-retry', 6);
      expect(new Set(got.map((r) => r.event_id)).size).toBe(6);
    });
  });
});
