import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeDrain } from '../../activities/canonical-events';
import type { CanonicalDraft } from '../../activities/canonical-events.types';
import { createPool } from '../../db/client';
import { createProject } from '../../db/projects';
import { deviceKey } from '../../rules/session-key';
import { loadConfig } from '../../runtime/config';
import { createLogger } from '../../runtime/logger';
import { uniqueId } from '../support/stack';

/**
 * The analyst functions and views (db/sql/analyst-functions.sql) on a small
 * dataset written through the real write path (writeDrain: identities,
 * stitching, sessions), with every expected number computed by hand below.
 */

const log = createLogger('silent');
const T = Date.parse('2026-05-04T10:00:00.000Z'); // a Monday
const DAY = 24 * 60 * 60_000;
const at = (minutes: number, ms = 0) => new Date(T + minutes * 60_000 + ms).toISOString();
let sequence = 7_000_000;

interface Spec {
  id: string;
  channel: 'web' | 'mobile' | 'backend';
  time: string;
  event?: string;
  type?: 'track' | 'identify';
  userId?: string;
  anonymousId?: string;
  version?: string;
}

function draft(projectId: string, s: Spec): CanonicalDraft {
  const type = s.type ?? 'track';
  return {
    projectId,
    channel: s.channel,
    messageId: s.id,
    type,
    ...(type === 'track' ? { event: s.event } : {}),
    ...(s.userId ? { userId: s.userId } : {}),
    ...(s.anonymousId ? { anonymousId: s.anonymousId } : {}),
    properties: {},
    traits: {},
    context: s.version ? { app: { version: s.version } } : {},
    eventTime: s.time,
    receivedAt: s.time,
    source: { stream: `TEST_${projectId}`, sequence: ++sequence, subject: `braid.raw.${projectId}.${s.channel}` },
    transforms: [],
    flags: [],
    deviceKey: deviceKey({ anonymousId: s.anonymousId, userId: s.userId }),
  };
}

/** Writes events one device at a time, as session workflows do. */
async function write(pool: pg.Pool, projectId: string, specs: Spec[]): Promise<void> {
  const byDevice = new Map<string, CanonicalDraft[]>();
  for (const d of specs.map((s) => draft(projectId, s))) byDevice.set(`${d.channel}|${d.deviceKey}`, [...(byDevice.get(`${d.channel}|${d.deviceKey}`) ?? []), d]);
  for (const events of byDevice.values()) {
    const result = await writeDrain(pool, log, { workflowId: 'wf-analytics', runId: 'run', sessionTimeoutMs: 30 * 60_000, events });
    expect(result.written).toBe(events.length);
  }
}

const PV = 'Product Viewed';
const CU = 'Cart Updated';
const OC = 'Order Completed';

/*
 * The dataset. Range [from, to) = [T, T + 1 day), T = Monday 2026-05-04 10:00 UTC; window 1 hour.
 * Minutes are relative to T.
 *
 *  ada  web    anon ada-web         PV +0 (ada-1), identify ada-web→ada +1 (ada-2)
 *       mobile anon ada-phone + ada CU +20 (ada-3, app 2.0; links the phone)
 *       backend user ada            OC +40 (ada-4)
 *       → one stitched person, cross-channel: steps 1, 2, 3 (40 min ≤ 1 h)
 *  bob  web    CU +0, PV +10, OC +20             → step 1 only (the cart came before the view)
 *  cy   mobile PV +120, CU +150, OC +180 (app 2.0) → steps 1–3: OC exactly 1 h after PV counts
 *  dee  web    PV +120, CU +130, OC +180 and 1 ms → steps 1–2: 1 ms past the window does not
 *  eve  mobile PV +0, PV +20, CU +30 (app 2.0); web OC +75
 *       → steps 1–3 only because the chain may start at the later view (55 min, not 75)
 *  fay  web    PV +240 (id fay-b), CU +240 (id fay-a), OC +250
 *       → step 1 only: same time, and fay-a < fay-b puts the cart first
 *  gus  web    PV +240 (gus-a), CU +240 (gus-b), OC +250 (gus-c) → steps 1–3 (tie broken by id)
 *  hal  web    PV −1, CU +5, OC +10              → nowhere: step 1 before the range
 *  ivy  mobile PV +0 exactly at from, CU +30 (app 1.9)  → steps 1–2
 *  jon  web    PV exactly at to (+1 day), CU +1 day 5 min → nowhere: the range is half-open
 *  kim  web    PV +1 day −10 min, CU +1 day 5 min; backend OC +1 day 20 min
 *       → steps 1–3: later steps may fall after `to`, inside the window
 *  lea  mobile App Opened +300 (app 2.0)           → active, in no funnel
 *  zed  (another project) PV, CU, OC                → never counted here
 *
 * funnel(PV, CU, OC): step 1: ada bob cy dee eve fay gus ivy kim = 9
 *                     step 2: ada cy dee eve gus ivy kim = 7 → 7/9 = 0.7778
 *                     step 3: ada cy eve gus kim = 5         → 5/9 = 0.5556
 */
describe('analyst queries on a hand-computed dataset', () => {
  const projectId = uniqueId('fun');
  const otherProject = uniqueId('fun');
  let pool: pg.Pool;
  const from = at(0);
  const to = new Date(T + DAY).toISOString();
  const nextDay = (minutes: number, ms = 0) => new Date(T + DAY + minutes * 60_000 + ms).toISOString();

  const specs: Spec[] = [
    { id: 'ada-1', channel: 'web', anonymousId: 'ada-web', event: PV, time: at(0) },
    { id: 'ada-2', channel: 'web', anonymousId: 'ada-web', userId: 'ada', type: 'identify', time: at(1) },
    { id: 'ada-3', channel: 'mobile', anonymousId: 'ada-phone', userId: 'ada', event: CU, time: at(20), version: '2.0' },
    { id: 'ada-4', channel: 'backend', userId: 'ada', event: OC, time: at(40) },
    { id: 'bob-1', channel: 'web', userId: 'bob', event: CU, time: at(0) },
    { id: 'bob-2', channel: 'web', userId: 'bob', event: PV, time: at(10) },
    { id: 'bob-3', channel: 'web', userId: 'bob', event: OC, time: at(20) },
    { id: 'cy-1', channel: 'mobile', userId: 'cy', event: PV, time: at(120), version: '2.0' },
    { id: 'cy-2', channel: 'mobile', userId: 'cy', event: CU, time: at(150), version: '2.0' },
    { id: 'cy-3', channel: 'mobile', userId: 'cy', event: OC, time: at(180), version: '2.0' },
    { id: 'dee-1', channel: 'web', userId: 'dee', event: PV, time: at(120) },
    { id: 'dee-2', channel: 'web', userId: 'dee', event: CU, time: at(130) },
    { id: 'dee-3', channel: 'web', userId: 'dee', event: OC, time: at(180, 1) },
    { id: 'eve-1', channel: 'mobile', userId: 'eve', event: PV, time: at(0), version: '2.0' },
    { id: 'eve-2', channel: 'mobile', userId: 'eve', event: PV, time: at(20), version: '2.0' },
    { id: 'eve-3', channel: 'mobile', userId: 'eve', event: CU, time: at(30), version: '2.0' },
    { id: 'eve-4', channel: 'web', userId: 'eve', event: OC, time: at(75) },
    { id: 'fay-b', channel: 'web', userId: 'fay', event: PV, time: at(240) },
    { id: 'fay-a', channel: 'web', userId: 'fay', event: CU, time: at(240) },
    { id: 'fay-c', channel: 'web', userId: 'fay', event: OC, time: at(250) },
    { id: 'gus-a', channel: 'web', userId: 'gus', event: PV, time: at(240) },
    { id: 'gus-b', channel: 'web', userId: 'gus', event: CU, time: at(240) },
    { id: 'gus-c', channel: 'web', userId: 'gus', event: OC, time: at(250) },
    { id: 'hal-1', channel: 'web', userId: 'hal', event: PV, time: at(-1) },
    { id: 'hal-2', channel: 'web', userId: 'hal', event: CU, time: at(5) },
    { id: 'hal-3', channel: 'web', userId: 'hal', event: OC, time: at(10) },
    { id: 'ivy-1', channel: 'mobile', userId: 'ivy', event: PV, time: at(0), version: '1.9' },
    { id: 'ivy-2', channel: 'mobile', userId: 'ivy', event: CU, time: at(30), version: '1.9' },
    { id: 'jon-1', channel: 'web', userId: 'jon', event: PV, time: nextDay(0) },
    { id: 'jon-2', channel: 'web', userId: 'jon', event: CU, time: nextDay(5) },
    { id: 'kim-1', channel: 'web', userId: 'kim', event: PV, time: nextDay(-10) },
    { id: 'kim-2', channel: 'web', userId: 'kim', event: CU, time: nextDay(5) },
    { id: 'kim-3', channel: 'backend', userId: 'kim', event: OC, time: nextDay(20) },
    { id: 'lea-1', channel: 'mobile', userId: 'lea', event: 'App Opened', time: at(300), version: '2.0' },
  ];

  const person = async (userId: string) =>
    (await pool.query<{ person_id: string }>(`SELECT person_id FROM analytics.identities WHERE project_id = $1 AND kind = 'user' AND id = $2`, [projectId, userId])).rows[0]!.person_id;

  beforeAll(async () => {
    pool = createPool(loadConfig().DATABASE_URL, 4);
    await createProject(pool, { projectId, name: 'funnels' });
    await createProject(pool, { projectId: otherProject, name: 'funnels elsewhere' });
    await write(pool, projectId, specs);
    await write(pool, otherProject, [
      { id: 'zed-1', channel: 'web', userId: 'zed', event: PV, time: at(0) },
      { id: 'zed-2', channel: 'web', userId: 'zed', event: CU, time: at(1) },
      { id: 'zed-3', channel: 'web', userId: 'zed', event: OC, time: at(2) },
    ]);
  });
  afterAll(async () => {
    await pool?.end();
  });

  const funnel = async (steps: string[], window = '1 hour', project = projectId, range: [string, string] = [from, to]) =>
    (await pool.query(`SELECT step, event, persons, conversion_rate::text AS rate FROM analytics.funnel($1, $2, $3, $4, $5::interval)`, [project, steps, range[0], range[1], window])).rows;

  it('stitches ada across web, mobile and backend into one person', async () => {
    const res = await pool.query(`SELECT DISTINCT person_id FROM analytics.events WHERE project_id = $1 AND event_id LIKE 'ada-%'`, [projectId]);
    expect(res.rows).toEqual([{ person_id: await person('ada') }]);
  });

  it('counts ordered steps within the window, per stitched person, on any channel', async () => {
    expect(await funnel([PV, CU, OC])).toEqual([
      { step: 1, event: PV, persons: 9, rate: '1.0000' },
      { step: 2, event: CU, persons: 7, rate: '0.7778' },
      { step: 3, event: OC, persons: 5, rate: '0.5556' },
    ]);
  });

  it('names who reached each step, with the first event that got them there', async () => {
    const res = await pool.query<{ person_id: string; step: number; event_id: string; channel: string; started_at: Date }>(
      `SELECT person_id, step, event_id, channel, started_at FROM analytics.funnel_persons($1, $2, $3, $4, interval '1 hour') WHERE step = 3 ORDER BY event_id`,
      [projectId, [PV, CU, OC], from, to],
    );
    expect(res.rows).toEqual([
      { person_id: await person('ada'), step: 3, event_id: 'ada-4', channel: 'backend', started_at: new Date(at(0)) },
      { person_id: await person('cy'), step: 3, event_id: 'cy-3', channel: 'mobile', started_at: new Date(at(120)) },
      // the latest possible start: the second view, 55 minutes before the order
      { person_id: await person('eve'), step: 3, event_id: 'eve-4', channel: 'web', started_at: new Date(at(20)) },
      { person_id: await person('gus'), step: 3, event_id: 'gus-c', channel: 'web', started_at: new Date(at(240)) },
      { person_id: await person('kim'), step: 3, event_id: 'kim-3', channel: 'backend', started_at: new Date(nextDay(-10)) },
    ]);
  });

  it('a window that ends exactly at an event includes it, one millisecond less does not', async () => {
    // cy's order is exactly 1 h after the view; with 1 h − 1 ms cy drops out of step 3 (ada 40 min, eve 55, gus 10, kim 30 stay)
    expect((await funnel([PV, CU, OC], '59 minutes 59.999 seconds'))[2]).toMatchObject({ persons: 4 });
    // dee's order is 1 h + 1 ms after the view: a window 1 ms longer lets dee in
    expect((await funnel([PV, CU, OC], '1 hour 0.001 seconds'))[2]).toMatchObject({ persons: 6 });
  });

  it('breaks the funnel down by the channel of the event that reached each step', async () => {
    /*
     * step 1 (first view in range): web ada bob dee fay gus kim = 6; mobile cy eve ivy = 3
     * step 2 (first qualifying cart): web dee gus kim = 3; mobile ada cy eve ivy = 4
     * step 3 (first qualifying order): backend ada kim = 2; mobile cy = 1; web eve gus = 2
     * rates are shares of the 9 persons at step 1
     */
    const res = await pool.query(
      `SELECT step, event, channel, persons, conversion_rate::text AS rate FROM analytics.funnel_by_channel($1, $2, $3, $4, interval '1 hour')`,
      [projectId, [PV, CU, OC], from, to],
    );
    expect(res.rows).toEqual([
      { step: 1, event: PV, channel: 'backend', persons: 0, rate: '0.0000' },
      { step: 1, event: PV, channel: 'mobile', persons: 3, rate: '0.3333' },
      { step: 1, event: PV, channel: 'web', persons: 6, rate: '0.6667' },
      { step: 2, event: CU, channel: 'backend', persons: 0, rate: '0.0000' },
      { step: 2, event: CU, channel: 'mobile', persons: 4, rate: '0.4444' },
      { step: 2, event: CU, channel: 'web', persons: 3, rate: '0.3333' },
      { step: 3, event: OC, channel: 'backend', persons: 2, rate: '0.2222' },
      { step: 3, event: OC, channel: 'mobile', persons: 1, rate: '0.1111' },
      { step: 3, event: OC, channel: 'web', persons: 2, rate: '0.2222' },
    ]);
  });

  it('never uses one event for two steps', async () => {
    // two views in order within the hour: only eve (+0, +20)
    expect(await funnel([PV, PV])).toEqual([
      { step: 1, event: PV, persons: 9, rate: '1.0000' },
      { step: 2, event: PV, persons: 1, rate: '0.1111' },
    ]);
  });

  it('steps that never happen give rows with 0 persons; an unknown project gives zeros', async () => {
    expect(await funnel([PV, 'Wishlist Added', OC])).toEqual([
      { step: 1, event: PV, persons: 9, rate: '1.0000' },
      { step: 2, event: 'Wishlist Added', persons: 0, rate: '0.0000' },
      { step: 3, event: OC, persons: 0, rate: '0.0000' },
    ]);
    expect(await funnel(['Never Happens', OC])).toEqual([
      { step: 1, event: 'Never Happens', persons: 0, rate: '0' },
      { step: 2, event: OC, persons: 0, rate: '0' },
    ]);
    expect(await funnel([PV, CU], '1 hour', 'no-such-project')).toEqual([
      { step: 1, event: PV, persons: 0, rate: '0' },
      { step: 2, event: CU, persons: 0, rate: '0' },
    ]);
    const byChannel = await pool.query(`SELECT * FROM analytics.funnel_by_channel('no-such-project', ARRAY['${PV}'], $1, $2, interval '1 hour')`, [from, to]);
    expect(byChannel.rows).toEqual([]);
    // an empty range starts nobody
    expect(await funnel([PV], '1 hour', projectId, [from, from])).toEqual([{ step: 1, event: PV, persons: 0, rate: '0' }]);
  });

  it('treats an injection attempt in a step as an event name that never happened', async () => {
    expect(await funnel([PV, "x'); DROP TABLE braid.canonical_events; --"])).toEqual([
      { step: 1, event: PV, persons: 9, rate: '1.0000' },
      { step: 2, event: "x'); DROP TABLE braid.canonical_events; --", persons: 0, rate: '0.0000' },
    ]);
    expect((await pool.query(`SELECT count(*)::int AS n FROM analytics.events WHERE project_id = $1`, [projectId])).rows[0].n).toBe(specs.length);
  });

  it('times the conversion from the first view in range to the first order after it', async () => {
    /*
     * first view in range → first order after it (≤ 1 h converts):
     *   ada 40 min, bob 10, cy 60 (exactly the window), fay 10 (the order after fay-b), gus 10, kim 30
     *   dee 60 min + 1 ms and eve 75 (from the first view, +0) do not convert; ivy never orders
     *   hal and jon have no view in range
     * started 9, converted 6: sorted 10 10 10 30 40 60 (minutes)
     *   p50 = position 0.5 × 5 = 2.5 → 10 + 0.5 × (30 − 10) = 20 min
     *   p90 = position 4.5 → 40 + 0.5 × 20 = 50 min
     *   p99 = position 4.95 → 40 + 0.95 × 20 = 59 min
     */
    const res = await pool.query(
      `SELECT started, converted, p50::text, p90::text, p99::text FROM analytics.time_to_convert($1, $2, $3, $4, $5, interval '1 hour')`,
      [projectId, PV, OC, from, to],
    );
    expect(res.rows).toEqual([{ started: 9, converted: 6, p50: '00:20:00', p90: '00:50:00', p99: '00:59:00' }]);
    const none = await pool.query(`SELECT started, converted, p50 FROM analytics.time_to_convert('no-such-project', $1, $2, $3, $4, interval '1 hour')`, [PV, OC, from, to]);
    expect(none.rows).toEqual([{ started: 0, converted: 0, p50: null }]);
  });

  it('measures feature adoption per channel and app version', async () => {
    /*
     * active in [T, T + 1 day) per channel and context.app.version, and who updated a cart there:
     *   backend, no version: ada                                    → 0 of 1
     *   mobile 1.9: ivy (cart)                                      → 1 of 1
     *   mobile 2.0: ada (cart), cy (cart), eve (cart), lea          → 3 of 4
     *   web, no version: ada bob dee eve fay gus hal kim; carts bob dee fay gus hal
     *     (kim's cart is after the range, ada's and eve's are on mobile)       → 5 of 8
     */
    const res = await pool.query(
      `SELECT channel, app_version, active_persons, adopters, adoption_rate::text AS rate FROM analytics.feature_adoption($1, $2, $3, $4)`,
      [projectId, CU, from, to],
    );
    expect(res.rows).toEqual([
      { channel: 'backend', app_version: null, active_persons: 1, adopters: 0, rate: '0.0000' },
      { channel: 'mobile', app_version: '1.9', active_persons: 1, adopters: 1, rate: '1.0000' },
      { channel: 'mobile', app_version: '2.0', active_persons: 4, adopters: 3, rate: '0.7500' },
      { channel: 'web', app_version: null, active_persons: 8, adopters: 5, rate: '0.6250' },
    ]);
    expect((await pool.query(`SELECT * FROM analytics.feature_adoption('no-such-project', $1, $2, $3)`, [CU, from, to])).rows).toEqual([]);
  });

  it('counts daily and weekly active persons by channel, and across channels once', async () => {
    /*
     * 2026-05-04: backend ada; mobile ada cy eve ivy lea; web ada bob dee eve fay gus hal;
     *             any channel: ada bob cy dee eve fay gus hal ivy lea = 10
     * 2026-05-05: backend kim; web kim jon; any channel 2
     * week of Monday 2026-05-04: backend ada kim 2; mobile 5; web 7 + kim + jon = 9; any 12
     */
    const daily = await pool.query(
      `SELECT day::text, channel, active_persons FROM analytics.active_persons_daily WHERE project_id = $1 ORDER BY day, channel NULLS FIRST`,
      [projectId],
    );
    expect(daily.rows).toEqual([
      { day: '2026-05-04', channel: null, active_persons: 10 },
      { day: '2026-05-04', channel: 'backend', active_persons: 1 },
      { day: '2026-05-04', channel: 'mobile', active_persons: 5 },
      { day: '2026-05-04', channel: 'web', active_persons: 7 },
      { day: '2026-05-05', channel: null, active_persons: 2 },
      { day: '2026-05-05', channel: 'backend', active_persons: 1 },
      { day: '2026-05-05', channel: 'web', active_persons: 2 },
    ]);
    const weekly = await pool.query(
      `SELECT week::text, channel, active_persons FROM analytics.active_persons_weekly WHERE project_id = $1 ORDER BY week, channel NULLS FIRST`,
      [projectId],
    );
    expect(weekly.rows).toEqual([
      { week: '2026-05-04', channel: null, active_persons: 12 },
      { week: '2026-05-04', channel: 'backend', active_persons: 2 },
      { week: '2026-05-04', channel: 'mobile', active_persons: 5 },
      { week: '2026-05-04', channel: 'web', active_persons: 9 },
    ]);
  });

  it("lists a person's cross-channel path in order, with channel switches and gaps", async () => {
    const ada = await person('ada');
    const res = await pool.query(
      `SELECT seq, event_id, channel, type, event, channel_changed, since_previous::text AS gap FROM analytics.journey($1, $2, 10)`,
      [projectId, ada],
    );
    expect(res.rows).toEqual([
      { seq: 1, event_id: 'ada-1', channel: 'web', type: 'track', event: PV, channel_changed: false, gap: null },
      { seq: 2, event_id: 'ada-2', channel: 'web', type: 'identify', event: null, channel_changed: false, gap: '00:01:00' },
      { seq: 3, event_id: 'ada-3', channel: 'mobile', type: 'track', event: CU, channel_changed: true, gap: '00:19:00' },
      { seq: 4, event_id: 'ada-4', channel: 'backend', type: 'track', event: OC, channel_changed: true, gap: '00:20:00' },
    ]);
    const limited = await pool.query(`SELECT event_id FROM analytics.journey($1, $2, 2)`, [projectId, ada]);
    expect(limited.rows.map((r) => r.event_id)).toEqual(['ada-1', 'ada-2']);
    // fay's view and cart share a time: event_id decides the order
    const fay = await pool.query(`SELECT event_id FROM analytics.journey($1, $2)`, [projectId, await person('fay')]);
    expect(fay.rows.map((r) => r.event_id)).toEqual(['fay-a', 'fay-b', 'fay-c']);
    expect((await pool.query(`SELECT * FROM analytics.journey($1, 'no-such-person', 10)`, [projectId])).rows).toEqual([]);
  });

  describe('bad input: SQLSTATE 22023 with the argument named', () => {
    const steps21 = Array.from({ length: 21 }, (_, i) => `Step ${i}`);
    const steps50 = Array.from({ length: 50 }, (_, i) => `Step ${i}`);
    const cases: { label: string; sql: string; params: unknown[]; names: string }[] = [
      { label: 'a funnel with no steps', sql: `SELECT * FROM analytics.funnel($1, '{}', $2, $3, interval '1 hour')`, params: ['p', from, to], names: 'steps' },
      { label: 'a funnel with null steps', sql: `SELECT * FROM analytics.funnel($1, NULL, $2, $3, interval '1 hour')`, params: ['p', from, to], names: 'steps' },
      { label: 'a funnel with 21 steps', sql: `SELECT * FROM analytics.funnel($1, $2, $3, $4, interval '1 hour')`, params: ['p', steps21, from, to], names: 'steps' },
      { label: 'a funnel with 50 steps', sql: `SELECT * FROM analytics.funnel_by_channel($1, $2, $3, $4, interval '1 hour')`, params: ['p', steps50, from, to], names: 'steps' },
      { label: 'a funnel step that is null', sql: `SELECT * FROM analytics.funnel($1, ARRAY['A', NULL], $2, $3, interval '1 hour')`, params: ['p', from, to], names: 'steps' },
      { label: 'a window of zero', sql: `SELECT * FROM analytics.funnel($1, ARRAY['A'], $2, $3, interval '0')`, params: ['p', from, to], names: 'conversion_window' },
      { label: 'a negative window', sql: `SELECT * FROM analytics.funnel_persons($1, ARRAY['A'], $2, $3, interval '-1 hour')`, params: ['p', from, to], names: 'conversion_window' },
      { label: 'a window that nets to negative', sql: `SELECT * FROM analytics.funnel($1, ARRAY['A'], $2, $3, interval '1 day -25 hours')`, params: ['p', from, to], names: 'conversion_window' },
      { label: 'from_time after to_time', sql: `SELECT * FROM analytics.funnel($1, ARRAY['A'], $3, $2, interval '1 hour')`, params: ['p', from, to], names: 'from_time' },
      { label: 'a null project', sql: `SELECT * FROM analytics.funnel(NULL, ARRAY['A'], $1, $2, interval '1 hour')`, params: [from, to], names: 'project_id' },
      { label: 'time_to_convert with a zero window', sql: `SELECT * FROM analytics.time_to_convert($1, 'A', 'B', $2, $3, interval '0')`, params: ['p', from, to], names: 'conversion_window' },
      { label: 'time_to_convert with from_time after to_time', sql: `SELECT * FROM analytics.time_to_convert($1, 'A', 'B', $3, $2, interval '1 hour')`, params: ['p', from, to], names: 'from_time' },
      { label: 'time_to_convert without a to_event', sql: `SELECT * FROM analytics.time_to_convert($1, 'A', NULL, $2, $3, interval '1 hour')`, params: ['p', from, to], names: 'to_event' },
      { label: 'feature_adoption with from_time after to_time', sql: `SELECT * FROM analytics.feature_adoption($1, 'A', $3, $2)`, params: ['p', from, to], names: 'from_time' },
      { label: 'feature_adoption without an event', sql: `SELECT * FROM analytics.feature_adoption($1, NULL, $2, $3)`, params: ['p', from, to], names: 'event' },
      { label: 'a journey of 0 events', sql: `SELECT * FROM analytics.journey($1, 'x', 0)`, params: ['p'], names: 'max_events' },
    ];
    it.each(cases)('$label', async ({ sql, params, names }) => {
      const error = await pool.query(sql, params).then(
        () => null,
        (e: unknown) => e as { code?: string; message: string },
      );
      expect(error).not.toBeNull();
      expect(error!.code).toBe('22023');
      expect(error!.message).toMatch(new RegExp(`\\b${names}\\b`));
    });
  });
});

/**
 * The funnel's greedy recurrence against a brute force that tries every chain,
 * on random persons (seeded, so a failure reproduces): times on a coarse grid
 * so ties are common, ids in random order, noise events, two channels.
 */
describe('funnel and time to convert against brute force', () => {
  const projectId = uniqueId('fbf');
  let pool: pg.Pool;
  const names = ['A', 'B', 'C', 'N'];
  const steps = ['A', 'B', 'A', 'C'];
  const from = at(20);
  const to = at(60);

  // mulberry32: a small seeded PRNG
  let seed = 0x5eed;
  const random = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = <T>(list: T[]) => list[Math.floor(random() * list.length)] as T;

  interface Ev { id: string; t: number; name: string }
  const persons = new Map<string, Ev[]>();
  const specs: Spec[] = [];
  for (let p = 0; p < 400; p++) {
    const user = `u${p}`;
    const events: Ev[] = [];
    const count = Math.floor(random() * 13);
    for (let i = 0; i < count; i++) {
      const minute = Math.floor(random() * 19) * 5; // 0..90 on a 5-minute grid
      const id = `${user}-${Math.floor(random() * 1e6).toString(36)}-${i}`;
      const name = pick(names);
      events.push({ id, t: T + minute * 60_000, name });
      specs.push({ id, channel: pick(['web', 'mobile']), userId: user, event: name, time: at(minute) });
    }
    persons.set(user, events.sort((a, b) => a.t - b.t || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)));
  }

  /** Persons at each step, trying every chain. */
  const bruteForceFunnel = (windowMinutes: number) => {
    const counts = steps.map(() => 0);
    const [fromMs, toMs, windowMs] = [Date.parse(from), Date.parse(to), windowMinutes * 60_000];
    for (const events of persons.values()) {
      let best = 0;
      const extend = (index: number, k: number, startT: number) => {
        best = Math.max(best, k);
        if (k === steps.length) return;
        for (let j = index + 1; j < events.length; j++) {
          const e = events[j]!;
          if (e.name === steps[k] && e.t - startT <= windowMs) extend(j, k + 1, startT);
        }
      };
      events.forEach((e, i) => {
        if (e.name === steps[0] && e.t >= fromMs && e.t < toMs) extend(i, 1, e.t);
      });
      for (let k = 0; k < best; k++) counts[k]! += 1;
    }
    return counts;
  };

  const bruteForceTimes = (fromEvent: string, toEvent: string, windowMinutes: number) => {
    const [fromMs, toMs, windowMs] = [Date.parse(from), Date.parse(to), windowMinutes * 60_000];
    let started = 0;
    let converted = 0;
    for (const events of persons.values()) {
      const i = events.findIndex((e) => e.name === fromEvent && e.t >= fromMs && e.t < toMs);
      if (i < 0) continue;
      started += 1;
      const next = events.slice(i + 1).find((e) => e.name === toEvent);
      if (next && next.t - events[i]!.t <= windowMs) converted += 1;
    }
    return { started, converted };
  };

  beforeAll(async () => {
    pool = createPool(loadConfig().DATABASE_URL, 4);
    await createProject(pool, { projectId, name: 'brute force', namingConvention: 'any' });
    await write(pool, projectId, specs);
  });
  afterAll(async () => {
    await pool?.end();
  });

  it.each([15, 30, 60])('agrees with every chain tried, window %i minutes', async (windowMinutes) => {
    const expected = bruteForceFunnel(windowMinutes);
    expect(expected[0]).toBeGreaterThan(100); // the data reaches deep into the funnel
    expect(expected[2]).toBeGreaterThan(0);
    const res = await pool.query(`SELECT persons FROM analytics.funnel($1, $2, $3, $4, $5 * interval '1 minute')`, [projectId, steps, from, to, windowMinutes]);
    expect(res.rows.map((r) => r.persons)).toEqual(expected);
  });

  it.each([
    ['A', 'C', 30],
    ['B', 'B', 20],
  ] as const)('time_to_convert %s → %s (%i minutes) agrees on who started and who converted', async (fromEvent, toEvent, windowMinutes) => {
    const expected = bruteForceTimes(fromEvent, toEvent, windowMinutes);
    expect(expected.converted).toBeGreaterThan(0);
    const res = await pool.query(`SELECT started, converted FROM analytics.time_to_convert($1, $2, $3, $4, $5, $6 * interval '1 minute')`, [
      projectId,
      fromEvent,
      toEvent,
      from,
      to,
      windowMinutes,
    ]);
    expect(res.rows).toEqual([expected]);
  });
});
