import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawSubject } from '../../contracts/wire';
import { compactRollups } from '../../db/rollups';
import { msgId, track } from '../support/events';
import { waitForOperation, finished } from '../support/operations';
import { startStack, uniqueId, type Stack } from '../support/stack';

/**
 * analytics.ingestion_health and analytics.data_quality read rollups kept by
 * statement triggers. They must equal what scanning the tables gives, after
 * inserts, duplicates, rejections, an erasure (deletes) and a fold.
 */
describe('health and quality rollups', () => {
  const projectId = uniqueId('rollup');
  let stack: Stack;

  /** The figures by scanning the counted tables, as the views did before the rollups. */
  async function scanned() {
    const health = await stack.pool.query(
      `SELECT m.minute, COALESCE(a.n, 0)::int AS received, COALESCE(c.n, 0)::int AS written, COALESCE(r.n, 0)::int AS rejected, COALESCE(d.n, 0)::int AS duplicates
       FROM (SELECT DISTINCT date_trunc('minute', received_at) AS minute FROM braid.receipts WHERE project_id = $1) m
       LEFT JOIN (SELECT date_trunc('minute', received_at) AS minute, count(*) AS n FROM braid.receipts WHERE project_id = $1 AND source_stream = 'BRAID_RAW' GROUP BY 1) a USING (minute)
       LEFT JOIN (SELECT date_trunc('minute', received_at) AS minute, count(*) AS n FROM braid.canonical_events WHERE project_id = $1 AND source_stream = 'BRAID_RAW' GROUP BY 1) c USING (minute)
       LEFT JOIN (SELECT date_trunc('minute', received_at) AS minute, count(*) AS n FROM braid.rejected_events WHERE project_id = $1 AND resolved_at IS NULL GROUP BY 1) r USING (minute)
       LEFT JOIN (SELECT date_trunc('minute', received_at) AS minute, count(*) AS n FROM braid.duplicates WHERE project_id = $1 GROUP BY 1) d USING (minute)
       ORDER BY 1`,
      [projectId],
    );
    const quality = await stack.pool.query(
      `SELECT channel, COALESCE(event, name, '$' || type) AS event, date_trunc('hour', event_time) AS hour, count(*)::int AS volume,
              count(*) FILTER (WHERE user_id IS NULL)::int AS null_user_id
       FROM braid.canonical_events WHERE project_id = $1 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
      [projectId],
    );
    return { health: health.rows, quality: quality.rows };
  }

  async function viewed() {
    const health = await stack.pool.query(
      `SELECT minute, received::int, written::int, rejected::int, duplicates::int FROM analytics.ingestion_health WHERE project_id = $1 ORDER BY 1`,
      [projectId],
    );
    const quality = await stack.pool.query(
      `SELECT channel, event, hour, volume::int, round(null_user_id_share * volume)::int AS null_user_id
       FROM analytics.data_quality WHERE project_id = $1 AND volume > 0 ORDER BY 1, 2, 3`,
      [projectId],
    );
    return { health: health.rows, quality: quality.rows };
  }

  beforeAll(async () => {
    stack = await startStack({ projects: [{ projectId, name: 'rollups' }], api: true });
    const sends: Promise<unknown>[] = [];
    for (let i = 0; i < 300; i++) {
      const channel = ['web', 'mobile', 'backend'][i % 3] as string;
      const properties = i % 5 === 0 ? { plan: 'pro', coupon: null } : i % 5 === 1 ? { plan: 'free' } : { plan: 'free', coupon: 'SPRING', seats: i };
      const event = track({ event: ['Signed Up', 'Order Completed'][i % 2], properties, ...(i % 4 === 0 ? { userId: `u${i % 7}` } : { anonymousId: `a${i % 11}` }) });
      sends.push(stack.publish(rawSubject(projectId, channel), event));
      // Every tenth message again under a new stream position: a duplicate.
      if (i % 10 === 0) sends.push(stack.publish(rawSubject(projectId, channel), event, { msgId: msgId() }));
    }
    for (let i = 0; i < 4; i++) sends.push(stack.publish(rawSubject(projectId, 'web'), { type: 'track', event: 'Bad', messageId: msgId() }));
    await Promise.all(sends);
    await stack.drained(projectId, 334, 120_000);
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('equal a scan of the tables after inserts, duplicates and rejections', async () => {
    const truth = await scanned();
    expect(truth.health.reduce((n, m) => n + m.received, 0)).toBe(334);
    expect(truth.health.reduce((n, m) => n + m.duplicates, 0)).toBe(30);
    expect(truth.health.reduce((n, m) => n + m.rejected, 0)).toBe(4);
    expect(await viewed()).toEqual(truth);
  });

  it('fold to one row per key and still equal the scan', async () => {
    const before = await viewed();
    expect(await compactRollups(stack.pool)).toBeGreaterThan(0);
    const perKey = await stack.pool.query(`SELECT count(*)::int AS n FROM braid.health_counts WHERE project_id = $1 GROUP BY minute HAVING count(*) > 1`, [projectId]);
    expect(perKey.rows).toEqual([]);
    expect(await viewed()).toEqual(before);
    expect(await viewed()).toEqual(await scanned());
  });

  it('count an erased person’s events out (deletes), and stay equal to the scan', async () => {
    const erasure = await stack.api!.call('POST', '/api/erasures', { projectId, mode: 'delete', userId: 'u0' });
    expect(erasure.status).toBe(202);
    expect((await waitForOperation(stack, `/api/erasures/${erasure.body.id}`, finished)).status).toBe('completed');
    const truth = await scanned();
    expect(truth.quality.reduce((n, q) => n + q.volume, 0)).toBeLessThan(300);
    expect(await viewed()).toEqual(truth);
  });

  it('give each property’s missing-or-null share per hour, equal to a scan', async () => {
    await compactRollups(stack.pool);
    const scan = await stack.pool.query(
      `WITH e AS (SELECT channel, COALESCE(event, name, '$' || type) AS event, date_trunc('hour', event_time) AS hour, properties FROM braid.canonical_events WHERE project_id = $1),
            v AS (SELECT channel, event, hour, count(*) AS volume FROM e GROUP BY 1, 2, 3),
            p AS (SELECT channel, event, hour, k.key, count(*) FILTER (WHERE k.value <> 'null'::jsonb) AS present FROM e, jsonb_each(e.properties) k GROUP BY 1, 2, 3, 4)
       SELECT p.channel, p.event, p.hour, jsonb_object_agg(p.key, round(1 - p.present::numeric / v.volume, 4)) AS shares
       FROM p JOIN v USING (channel, event, hour) WHERE p.present > 0 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
      [projectId],
    );
    const view = await stack.pool.query(
      `SELECT channel, event, hour, property_null_shares AS shares FROM analytics.data_quality WHERE project_id = $1 AND volume > 0 ORDER BY 1, 2, 3`,
      [projectId],
    );
    expect(scan.rows.length).toBeGreaterThan(0);
    expect(view.rows).toEqual(scan.rows);
    // coupon is missing or null in 2 of every 5 events: flagged nowhere (under half); seats in 2 of 5 as well.
    expect(Object.keys(view.rows[0].shares).sort()).toEqual(['coupon', 'plan', 'seats']);
  });

  it('give latency percentiles within one bucket (about 9 %) of the exact ones', async () => {
    const exact = await stack.pool.query(
      `SELECT date_trunc('minute', received_at) AS minute,
              percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM written_at - received_at) * 1000) AS p99
       FROM braid.lineage WHERE project_id = $1 AND replay_id IS NULL AND backfill_id IS NULL AND destination = 'production' GROUP BY 1`,
      [projectId],
    );
    const view = await stack.pool.query(`SELECT minute, latency_p50_ms, latency_p95_ms, latency_p99_ms FROM analytics.ingestion_health WHERE project_id = $1 AND latency_p99_ms IS NOT NULL`, [projectId]);
    expect(view.rows.length).toBe(exact.rows.length);
    for (const row of view.rows) {
      const p99 = Number(exact.rows.find((e) => e.minute.getTime() === row.minute.getTime())?.p99);
      expect(Number(row.latency_p50_ms)).toBeLessThanOrEqual(Number(row.latency_p95_ms));
      expect(Number(row.latency_p95_ms)).toBeLessThanOrEqual(Number(row.latency_p99_ms));
      // The bucket's upper bound: at or above the exact figure, less than one bucket (2^(1/8)) above the sample just below it.
      expect(Number(row.latency_p99_ms)).toBeLessThanOrEqual(Math.max(1, p99) * 1.1 + 0.1);
      expect(Number(row.latency_p99_ms)).toBeGreaterThanOrEqual(Math.max(1, p99 / 1.1) - 0.1);
    }
  });
});
