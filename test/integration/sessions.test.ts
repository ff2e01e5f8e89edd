import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawSubject } from '../../contracts/wire';
import { sleep, track } from '../support/events';
import { startStack, uniqueId, type Stack } from '../support/stack';

/**
 * Sessions follow event time whatever the arrival order, including an event
 * that arrives after its session workflow has ended.
 */
describe('sessions on event time', () => {
  const projectId = uniqueId('sess');
  let stack: Stack;
  const t0 = Date.parse('2026-03-02T09:00:00.000Z');
  const at = (minutes: number) => new Date(t0 + minutes * 60_000).toISOString();
  // No sentAt, so event time is the timestamp as sent.
  const event = (minutes: number, extra: Record<string, unknown> = {}) => track({ anonymousId: 'laptop', timestamp: at(minutes), ...extra });

  beforeAll(async () => {
    stack = await startStack({ projects: [{ projectId, name: 'sessions' }], idleMs: 1_000 });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('merges two sessions when a late event bridges them, after the workflow has ended', async () => {
    const subject = rawSubject(projectId, 'web');
    await stack.publish(subject, event(50));
    await stack.publish(subject, event(0));
    await stack.publish(subject, event(10));
    await stack.drained(projectId, 3);
    const before = await stack.pool.query(`SELECT started_at, ended_at, event_count FROM analytics.sessions WHERE project_id = $1 ORDER BY started_at`, [projectId]);
    expect(before.rows).toEqual([
      { started_at: new Date(at(0)), ended_at: new Date(at(10)), event_count: 2 },
      { started_at: new Date(at(50)), ended_at: new Date(at(50)), event_count: 1 },
    ]);

    await sleep(2_500); // the device's host workflow idles out (idle 1 s in this test)
    const handle = stack.client.workflow.getHandle(stack.hostOf(projectId, 'web', 'a:laptop'));
    expect(handle.workflowId).toMatch(process.env.BRAID_SESSION_HOSTING === 'per-device' ? /^device:/ : /^sessions:/);
    expect((await handle.describe()).status.name).toBe('COMPLETED');

    await stack.publish(subject, event(30)); // late: bridges 10 → 50
    await stack.drained(projectId, 4);
    const after = await stack.pool.query(`SELECT session_id, started_at, ended_at, event_count, duration_seconds FROM analytics.sessions WHERE project_id = $1`, [projectId]);
    expect(after.rows).toHaveLength(1);
    expect(after.rows[0]).toMatchObject({ started_at: new Date(at(0)), ended_at: new Date(at(50)), event_count: 4 });
    expect(Number(after.rows[0].duration_seconds)).toBe(3000);
    const events = await stack.pool.query(`SELECT DISTINCT session_id FROM analytics.events WHERE project_id = $1`, [projectId]);
    expect(events.rows).toEqual([{ session_id: after.rows[0].session_id }]);
  });

  it('keeps a client session id together across a long gap and apart from its neighbours', async () => {
    const subject = rawSubject(projectId, 'mobile');
    const app = (minutes: number, sessionId: string) => track({ anonymousId: 'phone', timestamp: at(minutes), context: { sessionId } });
    await stack.publish(subject, app(0, 'app-1'));
    await stack.publish(subject, app(5, 'app-2'));
    await stack.publish(subject, app(240, 'app-1'));
    await stack.drained(projectId, 7);
    const rows = await stack.pool.query(`SELECT event_count, started_at, ended_at FROM analytics.sessions WHERE project_id = $1 AND channel = 'mobile' ORDER BY event_count DESC`, [projectId]);
    expect(rows.rows).toEqual([
      { event_count: 2, started_at: new Date(at(0)), ended_at: new Date(at(240)) },
      { event_count: 1, started_at: new Date(at(5)), ended_at: new Date(at(5)) },
    ]);
  });
});
