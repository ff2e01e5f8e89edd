import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RAW_STREAM } from '../../contracts/wire';
import { BraidValidationError, createClient, defineTrackingPlan, type BraidClient } from '../../sdk';
import { startStack, uniqueId, type Stack } from '../support/stack';

/** The app's tracking plan, declared once as zod schemas. */
const plan = defineTrackingPlan({
  'Order Completed': z.object({ orderId: z.string(), total: z.number().nonnegative(), coupon: z.string().optional() }),
  'Signed Up': z.object({ plan: z.enum(['free', 'pro']) }),
  'App Opened': z.object({}),
});

/** The SDK on the real services: what it publishes becomes canonical events. */
describe('SDK → NATS → braid', () => {
  const projectId = uniqueId('sdk');
  let stack: Stack;
  let braid: BraidClient<typeof plan>;

  async function published(): Promise<number> {
    const info = await stack.jsm.streams.info(RAW_STREAM, { subjects_filter: `braid.raw.${projectId}.>` });
    return Object.values(info.state.subjects ?? {}).reduce((a, b) => a + b, 0);
  }

  async function rows(userId: string) {
    const res = await stack.pool.query(
      `SELECT event_id, type, event, channel, user_id, anonymous_id, properties, traits, context FROM analytics.events
       WHERE project_id = $1 AND (user_id = $2 OR anonymous_id = $2) ORDER BY event_time, event_id`,
      [projectId, userId],
    );
    return res.rows;
  }

  beforeAll(async () => {
    stack = await startStack({ projects: [{ projectId, name: 'SDK test' }] });
    braid = createClient({
      servers: process.env.NATS_URL ?? 'nats://127.0.0.1:4222',
      projectId,
      channel: 'backend',
      trackingPlan: plan,
      context: { app: { name: 'billing', version: '1.2.3' } },
    });
  });
  afterAll(async () => {
    await braid?.close();
    await stack?.stop();
  });

  it('publishes every call type; each promise resolves with the JetStream ack; rows land in analytics.events', async () => {
    const deliveries = await Promise.all([
      braid.identify({ userId: 'sdk-ada', anonymousId: 'sdk-anon', traits: { plan: 'pro' } }),
      braid.track({ userId: 'sdk-ada', event: 'Order Completed', properties: { orderId: 'o-1', total: 42 } }),
      braid.track({ anonymousId: 'sdk-anon', event: 'App Opened' }),
      braid.page({ userId: 'sdk-ada', name: 'Invoices' }),
      braid.screen({ userId: 'sdk-ada', name: 'Settings' }),
      braid.group({ userId: 'sdk-ada', groupId: 'acme', traits: { seats: 3 } }),
      braid.alias({ userId: 'sdk-ada', previousId: 'sdk-anon' }),
    ]);
    expect(deliveries.every((d) => d.stream === RAW_STREAM && d.seq > 0 && !d.duplicate)).toBe(true);
    await stack.drained(projectId, 7);
    const got = [...(await rows('sdk-ada')), ...(await rows('sdk-anon'))];
    const ids = new Set(got.map((r) => r.event_id));
    for (const d of deliveries) expect(ids).toContain(d.messageId);
    const order = got.find((r) => r.event === 'Order Completed');
    expect(order).toMatchObject({ channel: 'backend', type: 'track', properties: { orderId: 'o-1', total: 42 } });
    expect(order.context).toMatchObject({ app: { name: 'billing', version: '1.2.3' }, library: { name: 'braid-sdk-node' } });
  });

  it('uses a given messageId as the idempotency key: a resend is acked as a duplicate and lands once', async () => {
    const first = await braid.track({ userId: 'sdk-dup', event: 'Signed Up', properties: { plan: 'free' }, messageId: `dup-${projectId}` });
    const again = await braid.track({ userId: 'sdk-dup', event: 'Signed Up', properties: { plan: 'free' }, messageId: `dup-${projectId}` });
    expect(first.duplicate).toBe(false);
    expect(again).toMatchObject({ messageId: first.messageId, seq: first.seq, duplicate: true });
    await stack.drained(projectId, 8);
    expect(await rows('sdk-dup')).toHaveLength(1);
  });

  it('checks track() against the tracking plan at compile time and at run time; refused events are never published', async () => {
    const before = await published();
    const refusals = [
      // @ts-expect-error 'Order Complete' is not an event of the plan
      braid.track({ userId: 'sdk-typed', event: 'Order Complete', properties: { orderId: 'o', total: 1 } }),
      // @ts-expect-error total must be a number
      braid.track({ userId: 'sdk-typed', event: 'Order Completed', properties: { orderId: 'o', total: '12' } }),
      // @ts-expect-error orderId is required
      braid.track({ userId: 'sdk-typed', event: 'Order Completed', properties: { total: 12 } }),
      // @ts-expect-error 'Signed Up' needs its properties
      braid.track({ userId: 'sdk-typed', event: 'Signed Up' }),
      // @ts-expect-error plan must be one of the enum's values
      braid.track({ userId: 'sdk-typed', event: 'Signed Up', properties: { plan: 'enterprise' } }),
      // @ts-expect-error a call needs userId or anonymousId
      braid.track({ event: 'App Opened' }),
      // @ts-expect-error alias needs previousId
      braid.alias({ userId: 'sdk-typed' }),
    ];
    const reasons = await Promise.all(refusals.map((p) => p.then(() => 'published', (e: unknown) => (e instanceof BraidValidationError ? e.reason : String(e)))));
    expect(reasons).toEqual(['unplanned_event', 'invalid_properties', 'invalid_properties', 'invalid_properties', 'invalid_properties', 'missing_identity', 'missing_previous_id']);

    // Planned calls type-check, optional properties may be left out, and they are published.
    await braid.track({ userId: 'sdk-typed', event: 'Order Completed', properties: { orderId: 'o-2', total: 0 } });
    await braid.track({ userId: 'sdk-typed', event: 'App Opened' });
    expect(await published()).toBe(before + 2);
  });

  it('reports refusals to onError for callers that fire and forget, without an unhandled rejection', async () => {
    const seen: string[] = [];
    const quiet = createClient({
      servers: process.env.NATS_URL ?? 'nats://127.0.0.1:4222',
      projectId,
      channel: 'backend',
      onError: (error) => seen.push((error as BraidValidationError).reason),
    });
    try {
      void quiet.track({ userId: '', event: 'Order Completed' } as never);
      await quiet.flush();
      expect(seen).toEqual(['missing_identity']);
    } finally {
      await quiet.close();
    }
  });
});
