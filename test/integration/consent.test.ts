import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawSubject } from '../../contracts/wire';
import { identify, page, sleep, track } from '../support/events';
import { finished, waitForOperation } from '../support/operations';
import { startStack, uniqueId, type Stack } from '../support/stack';

const granted = (analytics: boolean) => ({ consent: { categoryPreferences: { Analytics: analytics } } });
const t0 = Date.parse('2026-05-10T12:00:00.000Z');
const at = (minutes: number) => new Date(t0 + minutes * 60_000).toISOString();

/** Consent enforced in the session actor, PII minimized before the write, on the real services. */
describe('consent', () => {
  const optIn = uniqueId('optin');
  const optInShortHold = uniqueId('optinshort');
  const optOut = uniqueId('optout');
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({
      projects: [
        { projectId: optIn, name: 'opt-in', consentMode: 'opt-in' },
        { projectId: optInShortHold, name: 'opt-in, short hold', consentMode: 'opt-in', consentHoldSeconds: 3 },
        { projectId: optOut, name: 'opt-out', piiPolicy: { truncateIp: true, drop: ['properties.ssn'], pseudonymize: ['traits.email', 'traits.phone'] } },
      ],
      api: true,
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  /** Waits until the device's actor holds `n` events (the drain that holds them may take a moment on a busy machine). */
  const held = async (projectId: string, channel: string, deviceId: string, n: number) => {
    const path = `/api/projects/${projectId}/devices/${channel}/${deviceId}`;
    for (const until = Date.now() + 30_000; Date.now() < until; await sleep(200)) {
      const device = await stack.api!.call('GET', path);
      if (device.status === 200 && device.body.held === n && device.body.pending === 0) return device.body;
    }
    throw new Error(`device ${channel}/${deviceId} of ${projectId} did not come to hold ${n} events`);
  };

  const rows = async (projectId: string) =>
    (await stack.pool.query<{ event_id: string; event_time: Date }>(`SELECT event_id, event_time FROM analytics.events WHERE project_id = $1 ORDER BY event_time`, [projectId])).rows;

  it('opt-in: events held until consent arrives three minutes later, then written with their original event times', async () => {
    const subject = rawSubject(optIn, 'web');
    const first = page({ anonymousId: 'visitor', timestamp: at(0) });
    const second = track({ anonymousId: 'visitor', event: 'Product Viewed', timestamp: at(1) });
    await stack.publish(subject, first);
    await stack.publish(subject, second);
    const device = await held(optIn, 'web', 'visitor', 2);
    expect(await rows(optIn)).toEqual([]); // held (staged in Postgres), not written, not dropped
    expect(device).toMatchObject({ held: 2, written: 0, pending: 0, hostWorkflowId: stack.hostOf(optIn, 'web', 'a:visitor') });

    const consent = track({ anonymousId: 'visitor', event: 'Consent Given', timestamp: at(3), context: granted(true) });
    await stack.publish(subject, consent);
    await stack.drained(optIn, 3);
    expect((await rows(optIn)).map((r) => [r.event_id, r.event_time.toISOString()])).toEqual([
      [first.messageId, at(0)],
      [second.messageId, at(1)],
      [consent.messageId, at(3)],
    ]);
  });

  it('opt-in: consent set through the API releases held events at once', async () => {
    const subject = rawSubject(optIn, 'mobile');
    const heldEvent = track({ anonymousId: 'phone-9', event: 'App Opened', timestamp: new Date().toISOString() });
    await stack.publish(subject, heldEvent);
    await held(optIn, 'mobile', 'phone-9', 1);
    const res = await stack.api!.call('POST', '/api/consent', { projectId: optIn, anonymousId: 'phone-9', categories: { analytics: true }, at: new Date(Date.now() + 1000).toISOString() });
    expect(res.status).toBe(200);
    expect(res.body.signalledSessions).toBeGreaterThanOrEqual(1);
    await stack.drained(optIn, 4, 20_000);
    expect((await rows(optIn)).map((r) => r.event_id)).toContain(heldEvent.messageId);
  });

  it('opt-in: consent that never arrives writes nothing and counts the suppressions', async () => {
    const subject = rawSubject(optInShortHold, 'web');
    for (let i = 0; i < 3; i++) await stack.publish(subject, page({ anonymousId: 'silent', name: `Page ${i}`, timestamp: at(i) }));
    const accounting = await stack.drained(optInShortHold, 3, 30_000);
    expect(accounting).toMatchObject({ accepted: 3, canonical: 0, suppressed: 3, rejected: 0 });
    expect(await rows(optInShortHold)).toEqual([]);
    const counted = await stack.pool.query(`SELECT day, channel, category, reason, count FROM analytics.consent_suppressions WHERE project_id = $1`, [optInShortHold]);
    expect(counted.rows).toEqual([{ day: expect.any(Date), channel: 'web', category: 'analytics', reason: 'consent_not_given', count: 3 }]);
  });

  it('opt-out: a revocation mid-session stops writing from its event time on, whatever the arrival order', async () => {
    const subject = rawSubject(optOut, 'web');
    const before = [page({ anonymousId: 'reader', timestamp: at(0) }), page({ anonymousId: 'reader', timestamp: at(1) })];
    const revoke = track({ anonymousId: 'reader', event: 'Consent Changed', timestamp: at(2), context: { consentManagement: { deniedConsentIds: ['analytics'] } } });
    const after = [page({ anonymousId: 'reader', timestamp: at(3) }), page({ anonymousId: 'reader', timestamp: at(4) })];
    // The revocation arrives first; the events before it still count as before it.
    await stack.publish(subject, revoke);
    await stack.drained(optOut, 1);
    for (const e of [...after, ...before]) await stack.publish(subject, e);
    const accounting = await stack.drained(optOut, 5);
    expect(accounting).toMatchObject({ canonical: 2, suppressed: 3 });
    expect((await rows(optOut)).map((r) => r.event_id)).toEqual(before.map((e) => e.messageId));
    const consent = await stack.pool.query(`SELECT kind, id, category, granted, effective_at FROM analytics.consent WHERE project_id = $1`, [optOut]);
    expect(consent.rows).toEqual([{ kind: 'anonymous', id: 'reader', category: 'analytics', granted: false, effective_at: new Date(at(2)) }]);
  });

  it('minimizes PII before the write: IP truncated, listed paths dropped, email pseudonymized with the project key', async () => {
    const subject = rawSubject(optOut, 'backend');
    const e = identify({
      anonymousId: 'pii-1',
      userId: 'pii-user',
      traits: { email: ' Ada@Example.com ', plan: 'pro' },
      properties: { ssn: '123-45-6789' },
      context: { ip: '203.0.113.77' },
    });
    const other = identify({ anonymousId: 'pii-2', userId: 'pii-user-2', traits: { email: 'ada@example.com' } });
    await stack.publish(subject, e);
    await stack.publish(subject, other);
    await stack.drained(optOut, 7);
    const res = await stack.pool.query(`SELECT event_id, traits, properties, context FROM analytics.events WHERE project_id = $1 AND user_id LIKE 'pii-user%' ORDER BY user_id`, [optOut]);
    const [first, second] = res.rows;
    expect(first.context.ip).toBe('203.0.113.0');
    expect(first.properties).toEqual({});
    expect(first.traits.plan).toBe('pro');
    expect(first.traits.email).toMatch(/^hmac:[0-9a-f]{64}$/);
    expect(second.traits.email).toBe(first.traits.email); // same value, same pseudonym: joins still work
    expect(JSON.stringify(res.rows)).not.toContain('xample.com');
    const lineage = await stack.pool.query(`SELECT transforms, flags FROM analytics.lineage WHERE project_id = $1 AND event_id = $2`, [optOut, e.messageId]);
    expect(lineage.rows[0].transforms).toContainEqual({ step: 'minimize', version: 1 });
    expect(lineage.rows[0].flags).toEqual(expect.arrayContaining(['ip_truncated', 'dropped:properties.ssn', 'pseudonymized:traits.email']));
  });
});

/** Erasure that sticks: deleted everywhere, the raw stream included, so a replay brings nothing back. */
describe('erasure', () => {
  const projectId = uniqueId('erase');
  let stack: Stack;
  let from: string;

  beforeAll(async () => {
    stack = await startStack({ projects: [{ projectId, name: 'erasure' }], api: true });
    from = new Date(Date.now() - 1000).toISOString();
    const web = rawSubject(projectId, 'web');
    await stack.publish(web, page({ anonymousId: 'eve-laptop' }));
    await stack.publish(web, identify({ anonymousId: 'eve-laptop', userId: 'eve', traits: { email: 'eve@example.com' } }));
    await stack.publish(rawSubject(projectId, 'mobile'), track({ anonymousId: 'eve-phone', userId: 'eve', event: 'App Opened' }));
    await stack.publish(web, { type: 'track', messageId: 'eve-bad', anonymousId: 'eve-laptop' }); // rejected: no event name
    await stack.publish(web, page({ anonymousId: 'frank' }));
    await stack.drained(projectId, 5);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const traces = async () =>
    (
      await stack.pool.query(
        `SELECT (SELECT count(*)::int FROM analytics.events WHERE project_id = $1 AND (user_id = 'eve' OR anonymous_id LIKE 'eve-%')) AS events,
                (SELECT count(*)::int FROM analytics.identities WHERE project_id = $1 AND id IN ('eve', 'eve-laptop', 'eve-phone')) AS identities,
                (SELECT count(*)::int FROM analytics.rejected_events WHERE project_id = $1 AND message_id = 'eve-bad') AS rejected,
                (SELECT count(*)::int FROM braid.sessions WHERE project_id = $1 AND device_key LIKE 'a:eve-%') AS sessions`,
        [projectId],
      )
    ).rows[0];

  it('delete removes the person everywhere, raw stream included, keeps others, and a full replay brings nothing back', async () => {
    const eveEvents = await stack.pool.query(`SELECT l.source_sequence FROM analytics.lineage l JOIN analytics.events e USING (project_id, event_id) WHERE e.project_id = $1 AND (e.user_id = 'eve' OR e.anonymous_id LIKE 'eve-%')`, [projectId]);
    const started = await stack.api!.call('POST', '/api/erasures', { projectId, mode: 'delete', userId: 'eve' });
    expect(started.status).toBe(202);
    const op = await waitForOperation(stack, `/api/erasures/${started.body.id}`, finished);
    expect(op.status).toBe('completed');
    expect(op.counts).toMatchObject({ events: 3, identities: 3, rejected: 1, streamMessages: 4 });
    expect(await traces()).toEqual({ events: 0, identities: 0, rejected: 0, sessions: 0 });
    const jsm = await stack.nc.jetstreamManager();
    for (const r of eveEvents.rows) await expect(jsm.streams.getMessage('BRAID_RAW', { seq: r.source_sequence })).rejects.toThrow();
    expect(await stack.accounting(projectId)).toMatchObject({ accepted: 1, canonical: 1, rejected: 0, suppressed: 0, duplicates: 0 });

    // The audit keeps who, when, the mode and counts: not the erased id.
    const audit = await stack.pool.query(`SELECT params, cursor, requested_by FROM braid.operations WHERE id = $1`, [started.body.id]);
    expect(JSON.stringify(audit.rows[0])).not.toContain('eve');
    expect(audit.rows[0].params.mode).toBe('delete');

    const replay = await stack.api!.call('POST', '/api/replays', { projectId, from, to: new Date(Date.now() + 1000).toISOString(), target: 'production' });
    const replayed = await waitForOperation(stack, `/api/replays/${replay.body.id}`, finished);
    expect(replayed.counts).toMatchObject({ read: 1, written: 0, unchanged: 1 });
    expect(await traces()).toEqual({ events: 0, identities: 0, rejected: 0, sessions: 0 });
  });

  it('suppress drops the person’s new events, counted as erased_subject; unsuppress lets them in again', async () => {
    const suppress = await stack.api!.call('POST', '/api/erasures', { projectId, mode: 'suppress', anonymousId: 'frank' });
    expect((await waitForOperation(stack, `/api/erasures/${suppress.body.id}`, finished)).status).toBe('completed');
    await stack.publish(rawSubject(projectId, 'web'), page({ anonymousId: 'frank', name: 'After' }));
    const accounting = await stack.drained(projectId, 2);
    expect(accounting).toMatchObject({ canonical: 1, suppressed: 1 });
    const counted = await stack.pool.query(`SELECT reason, count FROM analytics.consent_suppressions WHERE project_id = $1`, [projectId]);
    expect(counted.rows).toEqual([{ reason: 'erased_subject', count: 1 }]);

    const unsuppress = await stack.api!.call('POST', '/api/erasures', { projectId, mode: 'unsuppress', anonymousId: 'frank' });
    expect((await waitForOperation(stack, `/api/erasures/${unsuppress.body.id}`, finished)).status).toBe('completed');
    await stack.publish(rawSubject(projectId, 'web'), page({ anonymousId: 'frank', name: 'Back' }));
    expect(await stack.drained(projectId, 3)).toMatchObject({ canonical: 2, suppressed: 1 });
  });

  it('an unknown person completes with zero counts', async () => {
    const res = await stack.api!.call('POST', '/api/erasures', { projectId, mode: 'delete', personId: 'p_doesnotexist0000' });
    const op = await waitForOperation(stack, `/api/erasures/${res.body.id}`, finished);
    expect(op.status).toBe('completed');
    expect(Object.values(op.counts).every((n) => n === 0)).toBe(true);
  });

  it.each([
    { label: 'no subject', body: { mode: 'delete' } },
    { label: 'two subjects', body: { mode: 'delete', userId: 'a', anonymousId: 'b' } },
    { label: 'an unknown mode', body: { mode: 'forget', userId: 'a' } },
  ])('refuses $label with 400', async ({ body }) => {
    expect((await stack.api!.call('POST', '/api/erasures', { projectId, ...body })).status).toBe(400);
  });
});
