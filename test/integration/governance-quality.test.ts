import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawSubject } from '../../contracts/wire';
import { msgId } from '../support/events';
import { startStack, uniqueId, type Stack } from '../support/stack';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * The data-quality views over traffic that went through the real pipeline:
 * a week of history at one hour of the day, published with past timestamps
 * (event time), then today's volume at that hour.
 */
describe('data-quality views', () => {
  const projectId = uniqueId('dq');
  // A complete hour two hours ago, so "today" is not the hour in progress.
  const hour = Math.floor(Date.now() / HOUR) * HOUR - 2 * HOUR;
  let stack: Stack;
  let published = 0;

  const publish = async (event: string, at: number, ids: { userId?: string; anonymousId?: string }) => {
    await stack.publish(rawSubject(projectId, 'web'), { type: 'track', messageId: msgId('dq'), event, timestamp: new Date(at).toISOString(), properties: {}, ...ids });
    published += 1;
  };

  beforeAll(async () => {
    stack = await startStack({ projects: [{ projectId, name: 'data quality', namingConvention: 'any' }] });
    for (let day = 1; day <= 7; day++) {
      for (let i = 0; i < 10; i++) {
        const at = hour - day * DAY + (i + 1) * 60_000;
        await publish('Order Completed', at, { anonymousId: `order-${day}` });
        await publish('Steady Event', at, { anonymousId: `steady-${day}`, userId: `user-${day}` });
        await publish('Vanished Event', at, { anonymousId: `vanished-${day}` });
      }
    }
    // Today at the same hour: one order (a drop), a steady ten, nothing of the vanished event,
    // and a misspelt order event next to the real one.
    await publish('Order Completed', hour + 5 * 60_000, { anonymousId: 'order-today' });
    for (let i = 0; i < 10; i++) await publish('Steady Event', hour + (i + 1) * 60_000, { anonymousId: 'steady-today', userId: 'user-today' });
    await publish('order_completed', hour + 6 * 60_000, { anonymousId: 'order-today' });
    await stack.drained(projectId, published);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const qualityAt = async (event: string) =>
    (
      await stack.pool.query(`SELECT * FROM analytics.data_quality WHERE project_id = $1 AND channel = 'web' AND event = $2 AND hour = $3`, [projectId, event, new Date(hour)])
    ).rows[0];

  it('flags a seeded volume drop against the same hour’s trailing 7-day median', async () => {
    const order = await qualityAt('Order Completed');
    expect(order).toMatchObject({ volume: 1, trailing_median_volume: '10.00', expected_volume: '10.00', volume_anomaly: 'drop' });
  });

  it('flags an event that stopped altogether (volume 0 that hour)', async () => {
    expect(await qualityAt('Vanished Event')).toMatchObject({ volume: 0, trailing_median_volume: '10.00', volume_anomaly: 'drop' });
  });

  it('does not flag a steady volume, nor the week before it', async () => {
    expect(await qualityAt('Steady Event')).toMatchObject({ volume: 10, trailing_median_volume: '10.00', volume_anomaly: null });
    const history = await stack.pool.query(`SELECT count(*)::int AS n FROM analytics.data_quality WHERE project_id = $1 AND event = 'Steady Event' AND volume_anomaly IS NOT NULL`, [projectId]);
    expect(history.rows[0].n).toBe(0);
  });

  it('reports the share of events without userId and without anonymousId', async () => {
    expect(await qualityAt('Order Completed')).toMatchObject({ null_user_id_share: '1.0000', null_anonymous_id_share: '0.0000' });
    expect(await qualityAt('Steady Event')).toMatchObject({ null_user_id_share: '0.0000', null_anonymous_id_share: '0.0000' });
  });

  it('analytics.ingestion_health accounts for every message per minute, with latency percentiles', async () => {
    const res = await stack.pool.query(
      `SELECT sum(accepted)::int AS accepted, sum(received)::int AS received, sum(canonical)::int AS canonical, sum(written)::int AS written,
              sum(rejected)::int AS rejected, sum(suppressed)::int AS suppressed, sum(duplicates)::int AS duplicates,
              bool_and(latency_p50_ms IS NOT NULL) AS has_latency, bool_and(latency_p50_ms <= latency_p95_ms AND latency_p95_ms <= latency_p99_ms) AS ordered,
              min(latency_p50_ms) >= 0 AS non_negative
         FROM analytics.ingestion_health WHERE project_id = $1`,
      [projectId],
    );
    expect(res.rows[0]).toEqual({
      accepted: published,
      received: published,
      canonical: published,
      written: published,
      rejected: 0,
      suppressed: 0,
      duplicates: 0,
      has_latency: true,
      ordered: true,
      non_negative: true,
    });
  });

  it('analytics.event_name_collisions reports names that differ only in case or separators', async () => {
    const res = await stack.pool.query(`SELECT name_key, names, events_by_name FROM analytics.event_name_collisions WHERE project_id = $1`, [projectId]);
    expect(res.rows).toEqual([{ name_key: 'ordercompleted', names: ['Order Completed', 'order_completed'], events_by_name: { 'Order Completed': 71, order_completed: 1 } }]);
  });
});
