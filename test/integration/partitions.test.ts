import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyRetention } from '../../db/retention';
import { rawSubject } from '../../contracts/wire';
import { track } from '../support/events';
import { startStack, uniqueId, type Stack } from '../support/stack';

/**
 * Canonical events live in monthly partitions of event time: late and
 * backfilled events of any age get theirs, queries bounded in time read only
 * their months, and retention drops exactly the partitions whose every
 * project has expired, trimming the rest.
 */
describe('partitioned storage and retention', () => {
  const keepsMonth = uniqueId('keep30');
  const keepsAll = uniqueId('keepall');
  let stack: Stack;
  const recent = new Date(Date.now() - 10 * 86_400_000).toISOString();

  beforeAll(async () => {
    stack = await startStack({ projects: [{ projectId: keepsMonth, name: 'keeps 30 days', retentionDays: 30 }, { projectId: keepsAll, name: 'keeps everything' }] });
    // Events a quarter of a century late land in partitions made for them.
    await stack.publish(rawSubject(keepsMonth, 'web'), track({ anonymousId: 'old', timestamp: '1999-02-10T10:00:00Z' }));
    await stack.publish(rawSubject(keepsMonth, 'web'), track({ anonymousId: 'old', timestamp: '1999-03-10T10:00:00Z' }));
    await stack.publish(rawSubject(keepsMonth, 'web'), track({ anonymousId: 'new', timestamp: recent }));
    await stack.publish(rawSubject(keepsAll, 'web'), track({ anonymousId: 'old', timestamp: '1999-03-20T10:00:00Z' }));
    await stack.drained(keepsMonth, 3);
    await stack.drained(keepsAll, 1);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('puts each event in the partition of its month', async () => {
    const res = await stack.pool.query(`SELECT tableoid::regclass::text AS partition FROM braid.canonical_events WHERE project_id = $1 ORDER BY event_time`, [keepsMonth]);
    expect(res.rows.map((r) => r.partition)).toEqual(['braid.canonical_events_p199902', 'braid.canonical_events_p199903', `braid.canonical_events_p${recent.slice(0, 4)}${recent.slice(5, 7)}`]);
  });

  it('reads only the months a time-bounded query asks for', async () => {
    const plan = await stack.pool.query(
      `EXPLAIN (FORMAT JSON) SELECT count(*) FROM analytics.events WHERE project_id = $1 AND event_time >= '1999-03-01' AND event_time < '1999-04-01'`,
      [keepsMonth],
    );
    const scanned = JSON.stringify(plan.rows[0]['QUERY PLAN']).match(/canonical_events_[a-z0-9]+/g) ?? [];
    expect(new Set(scanned)).toEqual(new Set(['canonical_events_p199903']));
  });

  it('drops exactly the expired partitions and trims the rest', async () => {
    const result = await applyRetention(stack.pool);
    expect(result.droppedPartitions).toContain('canonical_events_p199902');
    expect(result.droppedPartitions).not.toContain('canonical_events_p199903'); // another project keeps its data there
    expect(result.trimmedEvents).toBe(1);
    const kept = await stack.pool.query(`SELECT project_id, event_time FROM analytics.events WHERE project_id = ANY($1::text[]) ORDER BY event_time`, [[keepsMonth, keepsAll]]);
    expect(kept.rows).toEqual([
      { project_id: keepsAll, event_time: new Date('1999-03-20T10:00:00Z') },
      { project_id: keepsMonth, event_time: new Date(recent) },
    ]);
    expect(await stack.accounting(keepsMonth)).toMatchObject({ accepted: 1, canonical: 1, rejected: 0, duplicates: 0 });
    const lineage = await stack.pool.query(`SELECT count(*)::int AS n FROM analytics.lineage WHERE project_id = $1`, [keepsMonth]);
    expect(lineage.rows[0].n).toBe(1);
  });
});
