import type { FastifyInstance } from 'fastify';
import { Events, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../api/server';
import { RAW_STREAM } from '../../contracts/wire';
import { createLogger } from '../../runtime/logger';
import { connectNats } from '../../runtime/services/nats';
import { sleep, track } from '../support/events';
import { NatsPathProxy } from '../support/nats-server';
import { startStack, uniqueId, type Stack } from '../support/stack';

Object.assign(process.env, {
  BRAID_COLLECTOR_PUBLISH_TIMEOUT: '1500ms',
  BRAID_COLLECTOR_RETRY_AFTER: '1s',
  BRAID_COLLECTOR_LAG_CONSUMERS: 'collector_outage_no_such_consumer',
});

const basic = (key: string) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;

/**
 * NATS going away under the collector: the collector's own NATS connection
 * runs through a proxy the test breaks, while ingest and the test's checks use
 * the shared NATS directly. A client always learns which events are stored.
 */
describe('HTTP collector during a NATS outage', () => {
  const projectId = uniqueId('collout');
  let stack: Stack;
  let proxy: NatsPathProxy;
  let collectorNc: NatsConnection;
  let app: FastifyInstance;
  let url: string;
  let key: string;

  async function postBatch(batch: unknown[]) {
    const res = await fetch(`${url}/v1/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: basic(key) },
      body: JSON.stringify({ batch }),
    });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- bodies are asserted field by field
    const body: any = await res.json();
    return { status: res.status, retryAfter: res.headers.get('retry-after'), body };
  }

  async function published(): Promise<number> {
    const info = await stack.jsm.streams.info(RAW_STREAM, { subjects_filter: `braid.raw.${projectId}.>` });
    return Object.values(info.state.subjects ?? {}).reduce((a, b) => a + b, 0);
  }

  function nextStatus(type: Events): Promise<void> {
    return (async () => {
      for await (const s of collectorNc.status()) if (s.type === type) return;
    })();
  }

  beforeAll(async () => {
    stack = await startStack({ projects: [], api: true, extraFilters: [`braid.raw.${projectId}.>`] });
    const made = await stack.api!.call('POST', '/api/projects', { projectId, name: 'collector outage test' });
    expect(made.status).toBe(201);
    key = made.body.writeKeys.web;
    const natsUrl = new URL(process.env.NATS_URL ?? 'nats://127.0.0.1:4222');
    proxy = new NatsPathProxy({ host: natsUrl.hostname, port: Number(natsUrl.port || 4222) });
    await proxy.start();
    collectorNc = await connectNats(proxy.url, 'collector-outage-test');
    app = buildApi({ pool: stack.pool, nc: collectorNc, temporal: stack.client, taskQueue: stack.taskQueue, log: createLogger('silent', 'test') });
    await app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await app?.close();
    await collectorNc?.close();
    await proxy?.stop();
    await stack?.stop();
  });

  it('answers a retryable 503 at once while NATS is unreachable, publishing nothing, and 200 once it is back', async () => {
    const before = await published();
    const disconnected = nextStatus(Events.Disconnect);
    await proxy.cut();
    await disconnected;
    const events = Array.from({ length: 5 }, () => track({ userId: 'outage-1' }));
    const res = await postBatch(events);
    expect(res.status).toBe(503);
    expect(res.retryAfter).toBe('1');
    expect(res.body.error).toMatchObject({ code: 'ingest_unavailable', details: { accepted: [], unconfirmed: [], rejected: [] } });

    const reconnected = nextStatus(Events.Reconnect);
    await proxy.restore();
    await reconnected;
    await sleep(300);
    expect(await published()).toBe(before);

    const retry = await postBatch(events);
    expect(retry.status).toBe(200);
    const drained = await stack.drained(projectId, before + 5);
    expect(drained.canonical).toBe(before + 5);
  });

  it('says which events of a batch were stored when NATS goes away in the middle of it, and a retry lands each exactly once', async () => {
    const start = (await stack.accounting(projectId))?.canonical ?? 0;
    const before = await published();
    const events = Array.from({ length: 100 }, (_, i) => track({ userId: 'outage-2', properties: { i } }));
    proxy.stallAfterPublishes(40);
    const res = await postBatch(events);
    expect(res.status).toBe(503);
    expect(res.retryAfter).toBe('1');
    expect(res.body.error.code).toBe('ingest_unavailable');
    expect(res.body.error.message).toMatch(/did not confirm 60 of 100 events \(40 accepted\)/);
    const { accepted, unconfirmed, rejected } = res.body.error.details as {
      accepted: { index: number; messageId: string }[];
      unconfirmed: { index: number; messageId: string; error: string }[];
      rejected: unknown[];
    };
    expect(accepted).toHaveLength(40);
    expect(unconfirmed).toHaveLength(60);
    expect(rejected).toEqual([]);
    expect([...accepted, ...unconfirmed].map((e) => e.index).sort((a, b) => a - b)).toEqual(events.map((_, i) => i));

    // What the answer calls accepted is exactly what is in the stream, and only that.
    expect(await published()).toBe(before + 40);
    await stack.drained(projectId, before + 40);
    const landed = await stack.pool.query(`SELECT event_id FROM analytics.events WHERE project_id = $1 AND event_id = ANY($2)`, [
      projectId,
      events.map((e) => e.messageId),
    ]);
    expect(landed.rows.map((r) => r.event_id).sort()).toEqual(accepted.map((a) => a.messageId).sort());

    // The client retries the whole request, as Segment's and RudderStack's libraries do.
    const reconnected = nextStatus(Events.Reconnect);
    await proxy.cut();
    await proxy.restore();
    await reconnected;
    const retry = await postBatch(events);
    expect(retry.status).toBe(200);
    await stack.drained(projectId, before + 40);
    await expect.poll(async () => (await stack.accounting(projectId))?.canonical, { timeout: 30_000 }).toBe(start + 100);
    const rows = await stack.pool.query(`SELECT count(*)::int AS n, count(DISTINCT event_id)::int AS d FROM analytics.events WHERE project_id = $1 AND event_id = ANY($2)`, [
      projectId,
      events.map((e) => e.messageId),
    ]);
    expect(rows.rows[0]).toEqual({ n: 100, d: 100 });
    const final = await stack.drained(projectId, before + 40);
    expect(final.inFlight).toBe(0);
  });
});
