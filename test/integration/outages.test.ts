import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawSubject } from '../../contracts/wire';
import { loadConfig } from '../../runtime/config';
import { page, sleep, track } from '../support/events';
import { startStack, uniqueId, type Stack } from '../support/stack';
import { TcpProxy } from '../support/tcp-proxy';

/**
 * A Postgres outage makes the pipeline wait and retry, not drop: ingest naks
 * what it cannot record, session workflows retry their write, and once the
 * database is back every accepted event is accounted for exactly once.
 */
describe('Postgres outage', () => {
  const projectId = uniqueId('outage');
  let stack: Stack;
  let proxy: TcpProxy;

  beforeAll(async () => {
    const url = new URL(loadConfig().DATABASE_URL);
    proxy = new TcpProxy({ host: url.hostname, port: Number(url.port || 5432) });
    const port = await proxy.start();
    url.host = `127.0.0.1:${port}`;
    stack = await startStack({ projects: [{ projectId, name: 'outage' }], databaseUrl: url.toString() });
  });

  afterAll(async () => {
    await proxy?.restore().catch(() => undefined);
    await stack?.stop();
    await proxy?.stop();
  });

  it('loses nothing and doubles nothing across the outage', async () => {
    const subject = rawSubject(projectId, 'web');
    // Some events land before the outage …
    for (let i = 0; i < 10; i++) await stack.publish(subject, track({ anonymousId: `dev-${i % 3}`, properties: { i } }));
    await stack.drained(projectId, 10);

    // … then Postgres goes away while more arrive, some in sessions whose workflows are mid-write.
    await proxy.cut();
    for (let i = 10; i < 40; i++) await stack.publish(subject, page({ anonymousId: `dev-${i % 5}`, properties: { i } }));
    await sleep(4_000);
    const duringOutage = await stack.accounting(projectId);
    expect(duringOutage?.accepted).toBe(10); // nothing recorded while the database is unreachable

    await proxy.restore();
    const after = await stack.drained(projectId, 40, 90_000);
    expect(after).toMatchObject({ accepted: 40, canonical: 40, rejected: 0, duplicates: 0, inFlight: 0 });
    const lineage = await stack.pool.query(`SELECT count(*)::int AS n, count(DISTINCT event_id)::int AS distinct_events FROM analytics.lineage WHERE project_id = $1`, [projectId]);
    expect(lineage.rows[0]).toEqual({ n: 40, distinct_events: 40 });
  });
});

/**
 * Hand-offs to Temporal that fail: transient failures are retried until they
 * succeed (written once); a message whose hand-off keeps failing for good ends
 * as a recorded `delivery_attempts_exhausted` rejection after a finite number
 * of deliveries, never a silent drop, and its neighbours are unaffected.
 */
describe('failed hand-offs to session workflows', () => {
  const projectId = uniqueId('handoff');
  let stack: Stack;
  const poison = track({ anonymousId: 'poison-device', event: 'Poison Pill' });
  const flaky = track({ anonymousId: 'flaky-device', event: 'Flaky Event' });
  let flakyFailures = 0;

  beforeAll(async () => {
    stack = await startStack({
      projects: [{ projectId, name: 'handoff' }],
      ingest: { maxDeliver: 3 },
      wrapSink: (sink) => ({
        async deliver(d) {
          if (d.events.some((e) => e.messageId === poison.messageId)) {
            throw Object.assign(new Error('request invalid'), { code: 3 });
          }
          if (d.events.some((e) => e.messageId === flaky.messageId) && flakyFailures < 2) {
            flakyFailures += 1;
            throw Object.assign(new Error('temporal unavailable'), { code: 14 });
          }
          return sink.deliver(d);
        },
      }),
    });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('retries transient failures and turns a permanent one into a recorded rejection', async () => {
    const subject = rawSubject(projectId, 'web');
    await stack.publish(subject, poison);
    await stack.publish(subject, flaky);
    for (let i = 0; i < 5; i++) await stack.publish(subject, track({ anonymousId: `ok-${i}` }));

    const accounting = await stack.drained(projectId, 7, 60_000);
    expect(accounting).toMatchObject({ accepted: 7, canonical: 6, rejected: 1, duplicates: 0 });
    expect(flakyFailures).toBe(2);
    const rejected = await stack.pool.query(`SELECT message_id, reason, details FROM analytics.rejected_events WHERE project_id = $1`, [projectId]);
    expect(rejected.rows).toHaveLength(1);
    expect(rejected.rows[0]).toMatchObject({ message_id: poison.messageId, reason: 'delivery_attempts_exhausted', details: { deliveries: 3 } });
    const flakyRows = await stack.pool.query(`SELECT count(*)::int AS n FROM analytics.lineage WHERE project_id = $1 AND event_id = $2`, [projectId, flaky.messageId]);
    expect(flakyRows.rows[0].n).toBe(1);
  });
});
