import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawSubject } from '../../contracts/wire';
import { msgId, sleep } from '../support/events';
import { startStack, uniqueId, type Stack } from '../support/stack';

const t0 = Date.parse('2026-06-01T00:00:00.000Z');
const BURST = 100_000;

/**
 * Device actors on host workflows, on the real services: a device that sends
 * a flood never wedges its actor (payloads wait in Postgres, the workflow
 * keeps references and counts), and changing the number of hosts under load
 * writes every event once with exact sessions.
 */
describe('session hosts', () => {
  const optOut = uniqueId('burstout');
  const optIn = uniqueId('burstin');
  const rehost = uniqueId('rehost');
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({
      projects: [
        { projectId: optOut, name: 'one busy device, opt-out' },
        { projectId: optIn, name: 'one busy device, opt-in', consentMode: 'opt-in', consentHoldSeconds: 3600 },
        { projectId: rehost, name: 'hosts change under load', sessionHosts: 2 },
      ],
      api: true,
      ingest: { fetchSize: 1000, maxGroupEvents: 1000 },
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  /** Publishes with many acks in flight, as an SDK under load does (with a patient ack timeout: CI machines are busy). */
  async function publishAll(subject: string, events: Record<string, unknown>[]): Promise<void> {
    for (let i = 0; i < events.length; i += 1000) {
      await Promise.all(events.slice(i, i + 1000).map((e) => stack.js.publish(subject, JSON.stringify(e), { msgID: e.messageId as string, timeout: 60_000 })));
    }
  }

  const bot = (projectId: string, n: number) => ({
    type: 'track',
    messageId: msgId(`${projectId}-${n}`),
    userId: 'nightly-job',
    event: 'Record Synced',
    properties: { n, payload: 'x'.repeat(400) },
    timestamp: new Date(t0 + n * 1000).toISOString(),
  });
  const histories = async (projectId: string) => {
    const hosts = await stack.pool.query<{ workflow_id: string }>(`SELECT DISTINCT workflow_id FROM analytics.lineage WHERE project_id = $1`, [projectId]);
    let events = 0;
    let bytes = 0;
    for (const { workflow_id } of hosts.rows) {
      for await (const run of stack.client.workflow.list({ query: `WorkflowId = '${workflow_id}'` })) {
        const described = await stack.client.workflow.getHandle(workflow_id, run.runId).describe();
        events += described.historyLength;
        bytes += described.historySize ?? Number.NaN;
      }
    }
    return { hosts: hosts.rows.length, events, bytes };
  };

  it(`writes all of one device's ${BURST.toLocaleString('en')}-event burst in an opt-out project, with a small history`, async () => {
    const events = Array.from({ length: BURST }, (_, n) => bot(optOut, n));
    await publishAll(rawSubject(optOut, 'backend'), events);
    const accounting = await stack.drained(optOut, BURST, 300_000);
    expect(accounting).toMatchObject({ accepted: BURST, canonical: BURST, rejected: 0, suppressed: 0, duplicates: 0, inFlight: 0 });
    const session = await stack.pool.query(`SELECT event_count, started_at, ended_at FROM analytics.sessions WHERE project_id = $1`, [optOut]);
    expect(session.rows).toEqual([{ event_count: BURST, started_at: new Date(t0), ended_at: new Date(t0 + (BURST - 1) * 1000) }]);

    // Temporal carries notices and drain results, never the events: the history stays small.
    const history = await histories(optOut);
    expect(history.hosts).toBe(1);
    expect(history.bytes).toBeGreaterThan(0);
    expect(history.bytes / BURST).toBeLessThan(64);
    expect(history.events / BURST).toBeLessThan(0.05);
    const device = await stack.api!.call('GET', `/api/projects/${optOut}/devices/backend/nightly-job`);
    expect(device.body).toMatchObject({ deviceKey: 'u:nightly-job', written: BURST, pending: 0, held: 0, currentSession: { eventCount: BURST } });
  }, 400_000);

  it(`holds all of a ${BURST.toLocaleString('en')}-event burst before consent in an opt-in project, then releases it with its own times`, async () => {
    const events = Array.from({ length: BURST }, (_, n) => bot(optIn, n));
    await publishAll(rawSubject(optIn, 'backend'), events);
    const path = `/api/projects/${optIn}/devices/backend/nightly-job`;
    for (let held = 0; held < BURST; await sleep(1_000)) held = (await stack.api!.call('GET', path)).body.held ?? 0;
    expect((await stack.accounting(optIn))?.canonical).toBe(0);

    // Consent effective from the first event on (a consent given within the hold window of an event's time also releases it).
    const consent = await stack.api!.call('POST', '/api/consent', { projectId: optIn, userId: 'nightly-job', categories: { analytics: true }, at: new Date(t0).toISOString() });
    expect(consent.status).toBe(200);
    const accounting = await stack.drained(optIn, BURST, 300_000);
    expect(accounting).toMatchObject({ accepted: BURST, canonical: BURST, suppressed: 0, inFlight: 0 });
    const times = await stack.pool.query(`SELECT min(event_time) AS first, max(event_time) AS last, count(DISTINCT event_time)::int AS distinct_times FROM analytics.events WHERE project_id = $1`, [optIn]);
    expect(times.rows[0]).toEqual({ first: new Date(t0), last: new Date(t0 + (BURST - 1) * 1000), distinct_times: BURST });
    expect((await stack.api!.call('GET', path)).body).toMatchObject({ held: 0, pending: 0, written: BURST });
  }, 400_000);

  it('changes the number of hosts under load: every event written once, one session per device, both layouts used', async () => {
    const devices = 300;
    const perDevice = 40;
    const subject = rawSubject(rehost, 'web');
    const wave = (from: number, to: number) =>
      Array.from({ length: devices * (to - from) }, (_, i) => {
        const n = from + Math.floor(i / devices);
        return { type: 'track', messageId: msgId('rehost'), anonymousId: `dev-${i % devices}`, event: 'Item Viewed', timestamp: new Date(t0 + n * 10_000).toISOString() };
      });
    const first = publishAll(subject, wave(0, perDevice / 2));
    await sleep(300);
    await stack.pool.query(`UPDATE braid.projects SET settings = jsonb_set(settings, '{sessionHosts}', '5') WHERE project_id = $1`, [rehost]);
    await first;
    await sleep(6_000); // ingest reloads project settings every 5 s
    await publishAll(subject, wave(perDevice / 2, perDevice));

    const total = devices * perDevice;
    expect(await stack.drained(rehost, total, 180_000)).toMatchObject({ accepted: total, canonical: total, duplicates: 0, rejected: 0 });
    const sessions = await stack.pool.query<{ n: number; events: number }>(`SELECT count(*)::int AS n, sum(event_count)::int AS events FROM analytics.sessions WHERE project_id = $1`, [rehost]);
    expect(sessions.rows[0]).toEqual({ n: devices, events: total });
    const hosts = await stack.pool.query<{ workflow_id: string }>(`SELECT DISTINCT workflow_id FROM analytics.lineage WHERE project_id = $1 ORDER BY 1`, [rehost]);
    const ids = hosts.rows.map((r) => r.workflow_id);
    expect(ids.every((id) => /^sessions:[^:]+:[0-4]$/.test(id) || id.startsWith('device:'))).toBe(true);
    if (!ids[0]?.startsWith('device:')) expect(ids.some((id) => /:[2-4]$/.test(id))).toBe(true); // hosts 2..4 exist only after the change
  }, 300_000);
});
