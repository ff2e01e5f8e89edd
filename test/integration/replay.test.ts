import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawSubject } from '../../contracts/wire';
import { page, sleep, track } from '../support/events';
import { finished, waitForOperation, type Op } from '../support/operations';
import { startStack, uniqueId, type Stack } from '../support/stack';

/** Replays on the real services: production after a rule change, sandbox, empty ranges, durable control. */
describe('replays', () => {
  const projectId = uniqueId('replay');
  let stack: Stack;
  let from: string;
  let to: string;
  const skewed: Record<string, unknown>[] = [];
  const normal: Record<string, unknown>[] = [];
  let tvEvent: Record<string, unknown>;

  beforeAll(async () => {
    stack = await startStack({ projects: [{ projectId, name: 'replay' }], api: true });
    from = new Date(Date.now() - 1000).toISOString();
    const now = Date.now();
    // A client whose clock runs an hour behind: braid corrects it (tolerance 30 s).
    for (let i = 0; i < 5; i++) {
      const ts = new Date(now - 3_600_000 - (5 - i) * 60_000).toISOString();
      skewed.push(track({ anonymousId: 'slow-clock', event: 'Item Viewed', timestamp: ts, sentAt: new Date(now - 3_600_000).toISOString() }));
    }
    for (let i = 0; i < 15; i++) normal.push(page({ anonymousId: `visitor-${i % 4}`, name: `Page ${i}`, timestamp: new Date(now - (15 - i) * 1000).toISOString() }));
    tvEvent = track({ anonymousId: 'living-room', event: 'Show Started' });
    for (const e of [...skewed, ...normal]) await stack.publish(rawSubject(projectId, 'web'), e);
    await stack.publish(rawSubject(projectId, 'tv'), tvEvent); // channel not registered yet: rejected
    await stack.drained(projectId, 21);
    to = new Date(Date.now() + 1000).toISOString();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const snapshot = async () =>
    (
      await stack.pool.query(
        `SELECT md5(coalesce((SELECT json_agg(c ORDER BY event_id)::text FROM braid.canonical_events c WHERE project_id = $1), '')) AS events,
                md5(coalesce((SELECT json_agg(l ORDER BY id)::text FROM braid.lineage l WHERE project_id = $1), '')) AS lineage,
                md5(coalesce((SELECT json_agg(s ORDER BY session_id)::text FROM braid.sessions s WHERE project_id = $1), '')) AS sessions,
                md5(coalesce((SELECT json_agg(r ORDER BY id)::text FROM braid.rejected_events r WHERE project_id = $1), '')) AS rejected`,
        [projectId],
      )
    ).rows[0];

  it('a sandbox replay writes its own schema and leaves production byte-for-byte unchanged', async () => {
    const before = await snapshot();
    const started = await stack.api!.call('POST', '/api/replays', { projectId, from, to, target: 'sandbox' });
    expect(started.status).toBe(202);
    expect(started.body.id).toMatch(/^[a-z0-9_]{1,40}$/);
    const op = await waitForOperation(stack, `/api/replays/${started.body.id}`, finished);
    expect(op).toMatchObject({ status: 'completed', total: 21, sandboxSchema: `sandbox_${started.body.id}` });
    expect(op.counts).toMatchObject({ read: 21, written: 20, rejected: 1, duplicates: 0 });
    const sandboxRows = await stack.pool.query(`SELECT count(*)::int AS n FROM ${op.sandboxSchema}.events WHERE project_id = $1`, [projectId]);
    expect(sandboxRows.rows[0].n).toBe(20);
    expect(await snapshot()).toEqual(before);
  });

  it('a production replay after a rule change updates exactly the affected rows, with lineage for both runs', async () => {
    const original = await stack.pool.query(`SELECT event_id, event_time FROM analytics.events WHERE project_id = $1`, [projectId]);
    // The rule change: clocks up to a day off are trusted now, and the tv channel is registered.
    const patched = await stack.api!.call('PATCH', `/api/projects/${projectId}`, { skewToleranceSeconds: 86_400, channels: ['web', 'mobile', 'backend', 'tv'] });
    expect(patched.status).toBe(200);

    const started = await stack.api!.call('POST', '/api/replays', { projectId, from, to, target: 'production' });
    const op = await waitForOperation(stack, `/api/replays/${started.body.id}`, finished);
    expect(op.status).toBe('completed');
    expect(op.counts).toMatchObject({ read: 21, written: 6, unchanged: 15, resolved: 1, rejected: 0, duplicates: 0 });

    const events = await stack.pool.query(`SELECT event_id, event_time FROM analytics.events WHERE project_id = $1`, [projectId]);
    expect(events.rows).toHaveLength(21);
    const byId = new Map(events.rows.map((r) => [r.event_id, r.event_time.toISOString()]));
    for (const e of skewed) expect(byId.get(e.messageId as string)).toBe(new Date(e.timestamp as string).toISOString());
    const originalById = new Map(original.rows.map((r) => [r.event_id, r.event_time.toISOString()]));
    for (const e of normal) expect(byId.get(e.messageId as string)).toBe(originalById.get(e.messageId as string));

    const lineage = await stack.pool.query<{ event_id: string; replay_id: string | null }>(`SELECT event_id, replay_id FROM analytics.lineage WHERE project_id = $1`, [projectId]);
    const rowsOf = (id: unknown) => lineage.rows.filter((r) => r.event_id === id);
    for (const e of skewed) expect(rowsOf(e.messageId).map((r) => r.replay_id)).toEqual(expect.arrayContaining([null, started.body.id]));
    for (const e of skewed) expect(rowsOf(e.messageId)).toHaveLength(2);
    // Unchanged rows are not rewritten, yet each has its lineage row for this replay (contract §5).
    for (const e of normal) expect(rowsOf(e.messageId).map((r) => r.replay_id).sort()).toEqual([started.body.id, null].sort());
    expect(rowsOf(tvEvent.messageId)).toEqual([{ event_id: tvEvent.messageId, replay_id: started.body.id }]);

    expect(await stack.accounting(projectId)).toMatchObject({ accepted: 21, canonical: 21, rejected: 0, duplicates: 0, inFlight: 0 });
    const resolved = await stack.pool.query(`SELECT resolved_by FROM analytics.rejected_events WHERE project_id = $1`, [projectId]);
    expect(resolved.rows).toEqual([{ resolved_by: started.body.id }]);
  });

  it('replaying the same range again rewrites no row and records one lineage row per event for the replay', async () => {
    const before = await snapshot();
    const started = await stack.api!.call('POST', '/api/replays', { projectId, from, to, target: 'production' });
    const op = await waitForOperation(stack, `/api/replays/${started.body.id}`, finished);
    expect(op.counts).toMatchObject({ read: 21, written: 0, unchanged: 21 });
    const after = await snapshot();
    expect(after.events).toBe(before.events);
    const ofReplay = await stack.pool.query(`SELECT count(DISTINCT event_id)::int AS events, count(*)::int AS n FROM analytics.lineage WHERE replay_id = $1`, [started.body.id]);
    expect(ofReplay.rows[0]).toEqual({ events: 21, n: 21 });
  });

  it('a range with no events completes with zero counts', async () => {
    const started = await stack.api!.call('POST', '/api/replays', { projectId, from: '2020-01-01T00:00:00Z', to: '2020-01-02T00:00:00Z', target: 'production' });
    const op = await waitForOperation(stack, `/api/replays/${started.body.id}`, finished);
    expect(op).toMatchObject({ status: 'completed', total: 0, counts: { read: 0, written: 0, rejected: 0, duplicates: 0 } });
  });
});

describe('replay control: pause, resume, cancel', () => {
  const projectId = uniqueId('control');
  let stack: Stack;
  let from: string;
  let to: string;
  const N = 1200;

  beforeAll(async () => {
    stack = await startStack({ projects: [{ projectId, name: 'control' }], api: true, operationChunk: 50 });
    from = new Date(Date.now() - 1000).toISOString();
    const subject = rawSubject(projectId, 'mobile');
    await Promise.all(Array.from({ length: N }, (_, i) => stack.publish(subject, track({ anonymousId: `device-${i % 40}`, event: 'Level Completed', properties: { level: i } }))));
    await stack.drained(projectId, N, 120_000);
    to = new Date(Date.now() + 1000).toISOString();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('pauses between chunks, holds still, and resumes to exact totals', async () => {
    const { body } = await stack.api!.call('POST', '/api/replays', { projectId, from, to, target: 'sandbox' });
    const path = `/api/replays/${body.id}`;
    await waitForOperation(stack, path, (op) => op.counts.read > 0);
    expect((await stack.api!.call('POST', `${path}/pause`)).status).toBe(202);
    const paused = await waitForOperation(stack, path, (op) => op.status === 'paused');
    await sleep(1_500);
    const still = (await stack.api!.call<Op>('GET', path)).body;
    expect(still.status).toBe('paused');
    expect(still.counts.read).toBe(paused.counts.read);
    expect(still.counts.read).toBeLessThan(N);

    expect((await stack.api!.call('POST', `${path}/resume`)).status).toBe(202);
    const done = await waitForOperation(stack, path, finished);
    expect(done).toMatchObject({ status: 'completed', counts: { read: N, written: N, duplicates: 0 } });
    const rows = await stack.pool.query(`SELECT count(*)::int AS n, count(DISTINCT event_id)::int AS d FROM sandbox_${body.id}.lineage`);
    expect(rows.rows[0]).toEqual({ n: N, d: N });
    expect((await stack.api!.call('POST', `${path}/pause`)).body.error.code).toBe('operation_finished');
  });

  it('cancels: stops between chunks and says so', async () => {
    const { body } = await stack.api!.call('POST', '/api/replays', { projectId, from, to, target: 'sandbox' });
    const path = `/api/replays/${body.id}`;
    await waitForOperation(stack, path, (op) => op.counts.read > 0);
    expect((await stack.api!.call('POST', `${path}/cancel`)).status).toBe(202);
    const done = await waitForOperation(stack, path, finished);
    expect(done.status).toBe('cancelled');
    expect(done.counts.read).toBeLessThan(N);
    const rows = await stack.pool.query(`SELECT count(*)::int AS n FROM sandbox_${body.id}.canonical_events`);
    expect(rows.rows[0].n).toBe(done.counts.written);
  });
});
