import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawSubject } from '../../contracts/wire';
import { stableId } from '../../rules/stable-id';
import { identify, page, track } from '../support/events';
import { startStack, uniqueId, type Stack } from '../support/stack';

/**
 * One person per human, on the real services: an anonymous web visit, a
 * mobile install, login on both, a backend purchase, then logout and a second
 * user on the same phone. Exact persons, sessions and journeys, before and
 * after an unmerge, and an operator merge undone again.
 */
describe('identity stitching across devices', () => {
  const projectId = uniqueId('ident');
  let stack: Stack;
  const t0 = Date.parse('2026-04-01T09:00:00.000Z');
  const at = (minutes: number) => new Date(t0 + minutes * 60_000).toISOString();
  const person = (kind: 'user' | 'anonymous', id: string) => stableId('p', projectId, kind, id);
  const ada = person('user', 'ada');
  const bob = person('user', 'bob');

  const story = {
    webVisit: page({ anonymousId: 'web-1', name: 'Home', timestamp: at(0) }),
    webView: track({ anonymousId: 'web-1', event: 'Product Viewed', timestamp: at(2) }),
    install: { type: 'screen', messageId: `install-${projectId}`, anonymousId: 'phone-1', name: 'Welcome', timestamp: at(5) },
    webLogin: identify({ anonymousId: 'web-1', userId: 'ada', timestamp: at(10) }),
    phoneLogin: identify({ anonymousId: 'phone-1', userId: 'ada', timestamp: at(12) }),
    purchase: track({ anonymousId: undefined, userId: 'ada', event: 'Order Completed', properties: { revenue: 30 }, timestamp: at(15) }),
    bobLogin: identify({ anonymousId: 'phone-1', userId: 'bob', timestamp: at(60) }),
    bobView: track({ anonymousId: 'phone-1', userId: 'bob', event: 'Product Viewed', timestamp: at(61) }),
    placeholder: identify({ anonymousId: 'null', userId: 'ada', timestamp: at(16) }),
  };
  const personOf = async () => {
    const res = await stack.pool.query<{ event_id: string; person_id: string | null }>(`SELECT event_id, person_id FROM analytics.events WHERE project_id = $1`, [projectId]);
    return Object.fromEntries(res.rows.map((r) => [r.event_id, r.person_id]));
  };
  const id = (e: Record<string, unknown>) => e.messageId as string;

  beforeAll(async () => {
    stack = await startStack({ projects: [{ projectId, name: 'identity' }], api: true });
    const send = (channel: string, e: Record<string, unknown>) => stack.publish(rawSubject(projectId, channel), e);
    // Arrival order differs from event time: the purchase and the phone arrive before the web login.
    await send('web', story.webVisit);
    await send('web', story.webView);
    await send('backend', story.purchase);
    await send('mobile', story.install);
    await send('mobile', story.phoneLogin);
    await send('web', story.webLogin);
    await send('web', story.placeholder);
    await stack.drained(projectId, 7);
    await send('mobile', story.bobLogin);
    await send('mobile', story.bobView);
    await stack.drained(projectId, 9);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('puts every device of one human in one person, retroactively, and keeps a second user on a shared phone apart', async () => {
    expect(await personOf()).toEqual({
      [id(story.webVisit)]: ada,
      [id(story.webView)]: ada,
      [id(story.install)]: ada,
      [id(story.webLogin)]: ada,
      [id(story.phoneLogin)]: ada,
      [id(story.purchase)]: ada,
      [id(story.placeholder)]: ada,
      [id(story.bobLogin)]: bob,
      [id(story.bobView)]: bob,
    });
    const identities = await stack.pool.query(`SELECT kind, id, person_id FROM analytics.identities WHERE project_id = $1 ORDER BY kind, id`, [projectId]);
    expect(identities.rows).toEqual([
      { kind: 'anonymous', id: 'phone-1', person_id: ada },
      { kind: 'anonymous', id: 'web-1', person_id: ada },
      { kind: 'user', id: 'ada', person_id: ada },
      { kind: 'user', id: 'bob', person_id: bob },
    ]);
  });

  it('records each merge with its cause, and each refusal with its rule', async () => {
    const res = await stack.api!.call('GET', `/api/persons/${projectId}/${ada}/merges`);
    expect(res.status).toBe(200);
    const merges = res.body.merges as { a: { id: string }; b: { id: string }; rule: string; status: string; reason: string | null; eventId: string }[];
    const active = merges.filter((m) => m.status === 'active').map((m) => [m.a.id, m.b.id, m.rule, m.eventId]);
    expect(active).toEqual(expect.arrayContaining([['web-1', 'ada', 'identify', id(story.webLogin)], ['phone-1', 'ada', 'identify', id(story.phoneLogin)]]));
    expect(active).toHaveLength(2);
    const refused = merges.filter((m) => m.status === 'refused').map((m) => [m.a.id, m.b.id, m.reason]);
    expect(refused).toEqual(expect.arrayContaining([['phone-1', 'bob', 'would_merge_identified_users'], ['null', 'ada', 'placeholder_id']]));
  });

  it('sessions follow event time per device', async () => {
    const res = await stack.pool.query(`SELECT channel, person_id, event_count, started_at FROM analytics.sessions WHERE project_id = $1 ORDER BY channel, started_at`, [projectId]);
    expect(res.rows).toEqual([
      { channel: 'backend', person_id: ada, event_count: 1, started_at: new Date(at(15)) },
      { channel: 'mobile', person_id: ada, event_count: 2, started_at: new Date(at(5)) },
      { channel: 'mobile', person_id: ada, event_count: 2, started_at: new Date(at(60)) }, // the phone's device session is Ada's anonymous id
      { channel: 'web', person_id: ada, event_count: 3, started_at: new Date(at(0)) },
      // anonymousId "null" is no device: that event's device is its user id
      { channel: 'web', person_id: ada, event_count: 1, started_at: new Date(at(16)) },
    ]);
  });

  it("lists Ada's journey across channels in event-time order", async () => {
    const res = await stack.api!.call('GET', `/api/persons/${projectId}/${ada}/journey`);
    expect(res.status).toBe(200);
    expect(res.body.events.map((e: { event_id: string; channel: string }) => [e.event_id, e.channel])).toEqual([
      [id(story.webVisit), 'web'],
      [id(story.webView), 'web'],
      [id(story.install), 'mobile'],
      [id(story.webLogin), 'web'],
      [id(story.phoneLogin), 'mobile'],
      [id(story.purchase), 'backend'],
      [id(story.placeholder), 'web'],
    ]);
  });

  it('detaching the phone moves its anonymous events out at once; events with Ada’s user id stay hers', async () => {
    const res = await stack.api!.call('POST', `/api/persons/${projectId}/unmerge`, { kind: 'anonymous', id: 'phone-1' });
    expect(res.status).toBe(200);
    expect(res.body.undone).toHaveLength(1);
    const phone = person('anonymous', 'phone-1');
    expect(await personOf()).toMatchObject({
      [id(story.install)]: phone,
      [id(story.phoneLogin)]: ada, // carries userId ada
      [id(story.webVisit)]: ada,
      [id(story.bobView)]: bob,
    });
    const merges = (await stack.api!.call('GET', `/api/persons/${projectId}/${ada}/merges`)).body.merges as { a: { id: string }; status: string }[];
    expect(merges.find((m) => m.a.id === 'phone-1' && m.status === 'undone')).toBeDefined();
  });

  it('an operator merge joins two identified users, and undoing it splits them again', async () => {
    const merged = await stack.api!.call('POST', `/api/persons/${projectId}/merge`, { personIds: [ada, bob] });
    expect(merged.status).toBe(200);
    const persons = new Set(Object.values(await personOf()));
    persons.delete(person('anonymous', 'phone-1'));
    expect(persons).toEqual(new Set([merged.body.personId]));

    const undone = await stack.api!.call('POST', `/api/persons/${projectId}/unmerge`, { mergeId: merged.body.mergeId });
    expect(undone.status).toBe(200);
    const after = await personOf();
    expect(after[id(story.purchase)]).toBe(ada);
    expect(after[id(story.bobView)]).toBe(bob);
  });

  it.each([
    { label: 'an unknown merge id', body: { mergeId: 'mg_nope' }, status: 404 },
    { label: 'an id with no merges', body: { kind: 'user', id: 'nobody' }, status: 404 },
    { label: 'a body of the wrong shape', body: { merge: 'x' }, status: 400 },
  ])('unmerge with $label → $status', async ({ body, status }) => {
    expect((await stack.api!.call('POST', `/api/persons/${projectId}/unmerge`, body)).status).toBe(status);
  });

  it('refuses merging a person with itself and unknown persons', async () => {
    expect((await stack.api!.call('POST', `/api/persons/${projectId}/merge`, { personIds: [ada, ada] })).body.error.code).toBe('same_person');
    expect((await stack.api!.call('POST', `/api/persons/${projectId}/merge`, { personIds: [ada, 'p_0000000000000000'] })).status).toBe(404);
  });
});

describe('identity graph under concurrency, and candidates', () => {
  const projectId = uniqueId('identc');
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ projects: [{ projectId, name: 'identity concurrency' }] });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('40 devices identifying as one user at once: every link lands, no deadlock', async () => {
    const devices = Array.from({ length: 40 }, (_, i) => `device-${i}`);
    await Promise.all(devices.map((d) => stack.publish(rawSubject(projectId, 'mobile'), identify({ anonymousId: d, userId: 'carol' }))));
    await Promise.all(devices.map((d) => stack.publish(rawSubject(projectId, 'web'), page({ anonymousId: `${d}-web`, userId: 'carol' }))));
    await stack.drained(projectId, 80);
    const carol = stableId('p', projectId, 'user', 'carol');
    const res = await stack.pool.query(`SELECT count(*)::int AS n, count(DISTINCT person_id)::int AS persons FROM analytics.identities WHERE project_id = $1`, [projectId]);
    expect(res.rows[0]).toEqual({ n: 81, persons: 1 });
    const links = await stack.pool.query(`SELECT count(*)::int AS n FROM analytics.identity_links WHERE project_id = $1 AND status = 'active'`, [projectId]);
    expect(links.rows[0].n).toBe(80);
    const persons = await stack.pool.query(`SELECT DISTINCT person_id FROM analytics.events WHERE project_id = $1`, [projectId]);
    expect(persons.rows).toEqual([{ person_id: carol }]);
  });

  it('pairs persons seen from one network and browser in the same hours as candidates, never merging them', async () => {
    const ua = 'Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 Chrome/120.0 Safari/537.36';
    const ts = (m: number) => new Date(Date.parse('2026-04-02T10:00:00Z') + m * 60_000).toISOString();
    for (const [anonymousId, ip, m] of [['laptop-a', '198.51.100.7', 0], ['laptop-b', '198.51.100.200', 5], ['elsewhere', '203.0.113.9', 1]] as const) {
      await stack.publish(rawSubject(projectId, 'web'), page({ anonymousId, timestamp: ts(m), context: { ip, userAgent: ua } }));
    }
    await stack.drained(projectId, 83);
    const res = await stack.pool.query(`SELECT person_a, person_b, score, network, ua_family FROM analytics.identity_candidates WHERE project_id = $1`, [projectId]);
    const a = stableId('p', projectId, 'anonymous', 'laptop-a');
    const b = stableId('p', projectId, 'anonymous', 'laptop-b');
    expect(res.rows).toEqual([{ person_a: a < b ? a : b, person_b: a < b ? b : a, score: '1.00', network: '198.51.100.0/24', ua_family: 'Chrome' }]);
    const distinct = await stack.pool.query(`SELECT count(DISTINCT person_id)::int AS n FROM analytics.identities WHERE project_id = $1 AND id IN ('laptop-a', 'laptop-b')`, [projectId]);
    expect(distinct.rows[0].n).toBe(2);
  });
});
