import { connect, type NatsConnection } from 'nats';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureRawStream } from '../../runtime/services/jetstream';
import { RAW_STREAM } from '../../contracts/wire';
import { BraidClosedError, BraidQueueFullError, createClient, type BraidClient, type ClientOptions, type Delivery } from '../../sdk';
import { sleep } from '../support/events';
import { PrivateNatsServer } from '../support/nats-server';
import { uniqueId } from '../support/stack';

/**
 * The SDK against a NATS server of its own that the test kills and restarts
 * (same port, same store, as a real restart): batching, the bounded queue,
 * retries across the outage, and close(). The shared NATS is never touched.
 */
describe('SDK with a NATS server restarted under it', () => {
  const server = new PrivateNatsServer();
  const projectId = uniqueId('sdkrst');
  const clients: BraidClient[] = [];

  /** Messages stored for the project, and their messageIds, read on a fresh connection. */
  async function stored(): Promise<{ count: number; ids: string[] }> {
    const nc = await connect({ servers: server.url });
    try {
      const jsm = await nc.jetstreamManager();
      const info = await jsm.streams.info(RAW_STREAM, { subjects_filter: `braid.raw.${projectId}.>` });
      const count = Object.values(info.state.subjects ?? {}).reduce((a, b) => a + b, 0);
      const ids: string[] = [];
      if (count > 0) {
        const consumer = await nc.jetstream().consumers.get(RAW_STREAM, { filterSubjects: `braid.raw.${projectId}.>` });
        const batch = await consumer.fetch({ max_messages: count, expires: 5_000 });
        for await (const m of batch) {
          ids.push((m.json() as { messageId: string }).messageId);
          if (ids.length === count) break;
        }
      }
      return { count, ids };
    } finally {
      await nc.close();
    }
  }

  function client(options: Partial<ClientOptions> = {}): BraidClient {
    const c = createClient({ servers: server.url, projectId, channel: 'backend', publishTimeoutMs: 1_000, retry: { initialDelayMs: 100, maxDelayMs: 500, maxAttempts: 100 }, ...options });
    clients.push(c);
    return c;
  }

  const order = (userId: string, i: number) => ({ userId, event: 'Order Completed', properties: { i } });

  beforeAll(async () => {
    await server.start();
    const nc: NatsConnection = await connect({ servers: server.url });
    await ensureRawStream(await nc.jetstreamManager(), { duplicateWindowMs: 120_000 });
    await nc.close();
  });
  afterEach(async () => {
    await server.start();
    for (const c of clients.splice(0)) await c.close({ timeoutMs: 2_000 });
  });
  afterAll(async () => {
    await server.stop();
  });

  it('batches: a full batch goes at once, a partial one waits for the interval or flush()', async () => {
    const before = (await stored()).count;
    const c = client({ maxBatchSize: 10, flushIntervalMs: 60_000 });
    const deliveries = Array.from({ length: 25 }, (_, i) => c.track(order('batching', i)));
    const firstTwenty = await Promise.all(deliveries.slice(0, 20));
    expect(new Set(firstTwenty.map((d) => d.seq)).size).toBe(20);
    expect(c.pending).toBe(5);
    expect((await stored()).count).toBe(before + 20);
    expect(await c.flush()).toEqual({ delivered: 5, failed: 0 });
    expect(c.pending).toBe(0);
    expect((await stored()).count).toBe(before + 25);
  });

  it('retries across a restart: every promise resolves once JetStream is back, each event stored once', async () => {
    const before = await stored();
    const c = client({ maxBatchSize: 20, flushIntervalMs: 5 });
    const deliveries: Promise<Delivery>[] = [];
    // A steady producer; the server is killed in the middle and comes back a second later.
    const producing = (async () => {
      for (let i = 0; i < 150; i += 1) {
        deliveries.push(c.track(order('restart', i)));
        await sleep(10);
      }
    })();
    await sleep(400);
    await server.kill();
    await sleep(1_000);
    await server.start();
    await producing;
    const done = await Promise.all(deliveries);
    expect(done).toHaveLength(150);
    const after = await stored();
    expect(after.count - before.count).toBe(150);
    const fresh = after.ids.filter((id) => !before.ids.includes(id));
    expect(new Set(fresh).size).toBe(150);
    expect(new Set(fresh)).toEqual(new Set(done.map((d) => d.messageId)));
  });

  it('bounds its queue while NATS is down, refusing the overflow, and delivers the rest when it is back', async () => {
    const before = (await stored()).count;
    const c = client({ maxQueueSize: 20, flushIntervalMs: 5 });
    await c.track(order('bounded', -1));
    await server.kill();
    const held = Array.from({ length: 20 }, (_, i) => c.track(order('bounded', i)));
    await expect(c.track(order('bounded', 20))).rejects.toBeInstanceOf(BraidQueueFullError);
    expect(c.pending).toBe(20);
    await sleep(500);
    await server.start();
    expect(await Promise.all(held)).toHaveLength(20);
    expect((await stored()).count).toBe(before + 21);
  });

  it('close() delivers what is queued, then refuses new events', async () => {
    const before = (await stored()).count;
    const c = client({ flushIntervalMs: 60_000 });
    const deliveries = Array.from({ length: 30 }, (_, i) => c.track(order('close', i)));
    expect(await c.close()).toEqual({ delivered: 30, failed: 0 });
    expect(await Promise.all(deliveries)).toHaveLength(30);
    await expect(c.track(order('close', 31))).rejects.toBeInstanceOf(BraidClosedError);
    expect((await stored()).count).toBe(before + 30);
  });

  it('close() with NATS down gives up after its timeout: the unacked events reject, and none is left to leak out later', async () => {
    const before = (await stored()).count;
    const c = client({ flushIntervalMs: 5 });
    await c.track(order('close-down', -1));
    await server.kill();
    const deliveries = Array.from({ length: 5 }, (_, i) => c.track(order('close-down', i)));
    const outcome = await c.close({ timeoutMs: 500 });
    expect(outcome).toEqual({ delivered: 0, failed: 5 });
    for (const d of deliveries) await expect(d).rejects.toBeInstanceOf(BraidClosedError);
    await server.start();
    await sleep(500);
    expect((await stored()).count).toBe(before + 1);
  });
});
