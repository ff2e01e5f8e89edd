import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawSubject } from '../../contracts/wire';
import { grantAnalystProject } from '../../db/analyst-access';
import { createToken } from '../../db/api-tokens';
import { track } from '../support/events';
import { startStack, uniqueId, type Stack } from '../support/stack';

const CHROMIUM = process.env.BRAID_CHROMIUM ?? '/usr/bin/chromium';
const SHOTS = join('test-output', 'console');

const PV = 'Product Viewed';
const CU = 'Cart Updated';
const OC = 'Order Completed';
const STEPS = [PV, CU, OC];
const WEB = 120; // persons on the web: a segment big enough to compare
const IOS = 12; // persons on iOS (channel mobile): a small segment, and the app never sends Order Completed

/**
 * The analysts' figures on a real braid (NATS → ingest → Temporal → Postgres):
 * the API's funnel, time to convert, adoption, retention and active persons
 * equal the analytics functions and views for the same arguments, carry the
 * SQL they ran, their freshness and the guardrails that apply; analyst tokens
 * read only their granted projects; and an analyst builds the same funnel in
 * the console (headless Chromium), with the guardrails beside the numbers.
 *
 * The story, event times 80–90 minutes before the test runs:
 * - 120 web persons (locale en-GB, schema version 1-0-0) view a product; 90 of
 *   them update their cart 5 minutes later; 30 of those order 10 minutes after
 *   the view;
 * - 12 iOS persons (channel mobile, app 3.1.0, in Germany, schema version
 *   2-0-0) view a product; 8 of them update their cart; the app has no
 *   Order Completed;
 * - between every 8 good messages one that braid rejects (no id), so ingestion
 *   rejects about 11 % in every minute the messages arrive.
 */
describe('analysis: funnel, time to convert, adoption, retention, active persons', () => {
  const projectId = uniqueId('analysis');
  const otherProject = uniqueId('analysisother');
  const analystRole = uniqueId('analyst_');
  const otherAnalystRole = uniqueId('analyst_');
  const T0 = Math.floor((Date.now() - 90 * 60_000) / 60_000) * 60_000;
  const at = (ms: number) => new Date(T0 + ms).toISOString();
  const MIN = 60_000;
  // The period every figure below is asked for: whole minutes, as the console's datetime inputs give them.
  const from = new Date(T0 - 10 * MIN).toISOString();
  const to = new Date(Math.ceil((Date.now() + 2 * MIN) / MIN) * MIN).toISOString();
  let stack: Stack;
  let analystToken: string;
  let otherAnalystToken: string;
  let accepted = 0;

  beforeAll(async () => {
    stack = await startStack({ projects: [{ projectId, name: 'analysis test' }, { projectId: otherProject, name: 'another tenant' }], api: true });
    const web = rawSubject(projectId, 'web');
    const mobile = rawSubject(projectId, 'mobile');
    const good: [string, Record<string, unknown>][] = [];
    for (let i = 0; i < WEB; i++) {
      const context = { locale: 'en-GB', schemaVersion: '1-0-0' };
      const person = { anonymousId: `web-${i}`, context };
      good.push([web, track({ ...person, event: PV, timestamp: at(i * 1000) })]);
      if (i % 4 !== 0) good.push([web, track({ ...person, event: CU, timestamp: at(i * 1000 + 5 * MIN) })]);
      if (i % 4 === 2) good.push([web, track({ ...person, event: OC, timestamp: at(i * 1000 + 10 * MIN) })]);
    }
    for (let i = 0; i < IOS; i++) {
      const context = { os: { name: 'iOS', version: '18.1' }, app: { name: 'Shop', version: '3.1.0' }, location: { country: 'Germany' }, schemaVersion: '2-0-0' };
      const person = { anonymousId: `ios-${i}`, context };
      good.push([mobile, track({ ...person, event: PV, timestamp: at(i * 1000 + 30_000) })]);
      if (i < 8) good.push([mobile, track({ ...person, event: CU, timestamp: at(i * 1000 + 5 * MIN) })]);
    }
    const messages: Promise<unknown>[] = [];
    good.forEach(([subject, event], i) => {
      messages.push(stack.publish(subject, event));
      if (i % 8 === 7) messages.push(stack.publish(web, { type: 'track', event: 'No Id' }, { msgId: uniqueId('bad') }));
    });
    for (let i = 0; i < 3; i++) messages.push(stack.publish(rawSubject(otherProject, 'web'), track({ anonymousId: `other-${i}`, event: PV, timestamp: at(i * 1000) })));
    await Promise.all(messages);
    accepted = messages.length - 3;
    await stack.drained(projectId, accepted, 180_000);
    await stack.drained(otherProject, 3, 60_000);

    // Analyst tokens act for the Postgres analyst role of their name (braid analyst grant <role> <project>).
    await grantAnalystProject(stack.pool, analystRole, projectId);
    await grantAnalystProject(stack.pool, otherAnalystRole, otherProject);
    analystToken = (await createToken(stack.pool, { name: analystRole, role: 'analyst' })).token;
    otherAnalystToken = (await createToken(stack.pool, { name: otherAnalystRole, role: 'analyst' })).token;
  }, 300_000);

  afterAll(async () => {
    if (stack) {
      await stack.pool.query('DELETE FROM braid.analyst_grants WHERE role_name = ANY($1)', [[analystRole, otherAnalystRole]]);
      for (const role of [analystRole, otherAnalystRole]) {
        const exists = await stack.pool.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
        if (exists.rowCount) await stack.pool.query(`DROP OWNED BY ${role}; DROP ROLE ${role}`);
      }
      await stack.stop();
    }
  });

  const query = (params: Record<string, string | string[]>) => {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) for (const x of Array.isArray(v) ? v : [v]) q.append(k, x);
    return q.toString();
  };
  const get = (path: string, params: Record<string, string | string[]>, token?: string) => stack.api!.call('GET', `/api/projects/${projectId}/analysis/${path}?${query(params)}`, undefined, token);

  /** analytics.funnel run directly, numbers as numbers. */
  const directFunnel = async (window: string, asOf = { from, to }) =>
    (
      await stack.pool.query(`SELECT step, event, persons, conversion_rate::float8 AS "conversionRate" FROM analytics.funnel($1, $2::text[], $3, $4, $5::interval)`, [
        projectId,
        STEPS,
        asOf.from,
        asOf.to,
        window,
      ])
    ).rows;

  /** The rows of a figure's SQL run as it is shown (every statement of the script, the last one's rows). */
  const runShown = async (script: string, role?: string) => {
    const client = await stack.pool.connect();
    try {
      await client.query('BEGIN');
      if (role) await client.query(`SET LOCAL ROLE ${role}`);
      const statements = script.split(/;\n\n/).map((s) => s.replace(/;$/, ''));
      const results = [];
      for (const s of statements) results.push((await client.query(s)).rows);
      return results;
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  };

  const codes = (guardrails: { code: string; subject: string }[]) => guardrails.map((g) => `${g.code} ${g.subject}`);

  it('answers the funnel that analytics.funnel gives for the same arguments, with the SQL it ran and its freshness', async () => {
    const res = await get('funnel', { steps: STEPS, from, to, window: '1h' });
    expect(res.status).toBe(200);
    const direct = await directFunnel('1 hour');
    expect(direct.map((r) => r.persons)).toEqual([WEB + IOS, 90 + 8, 30]);
    expect(res.body.funnel).toEqual(direct);
    expect(res.body).toMatchObject({ projectId, steps: STEPS, from, to, window: '1 hour', breakdown: null, segments: null });
    // The SQL shown is the SQL run: it names analytics.funnel, and run by hand it answers the same rows.
    expect(res.body.sql).toContain('FROM analytics.funnel(');
    const [shownRows] = await runShown(res.body.sql);
    expect(shownRows!.map((r) => [r.step, r.event, Number(r.persons), Number(r.conversion_rate)])).toEqual(direct.map((r) => [r.step, r.event, r.persons, r.conversionRate]));
    // Fresh: the newest write among the period's events, and nothing left undecided once drained.
    const newest = await stack.pool.query(`SELECT max(written_at) AS w FROM analytics.events WHERE project_id = $1`, [projectId]);
    expect(res.body.freshness).toMatchObject({ latestWrittenAt: newest.rows[0].w.toISOString(), undecided: 0 });
    expect(res.body.freshness.ageSeconds).toBeGreaterThanOrEqual(0);
    // One segment of 132 persons is big enough; the period ends less than the project's lateness ago.
    expect(codes(res.body.guardrails)).not.toContain('small_segment the funnel');
    expect(res.body.guardrails.map((g: { code: string }) => g.code)).toContain('late_events_window');
  });

  it('splits by channel as analytics.funnel_by_channel does; each step adds up, and the guardrails flag the small, uninstrumented segment', async () => {
    const res = await get('funnel', { steps: STEPS, from, to, window: '1h', breakdown: 'channel' });
    expect(res.status).toBe(200);
    const direct = await stack.pool.query(
      `SELECT step, event, channel, persons, conversion_rate::float8 AS rate FROM analytics.funnel_by_channel($1, $2::text[], $3, $4, interval '1 hour') ORDER BY step, channel`,
      [projectId, STEPS, from, to],
    );
    const shown = res.body.segments.flatMap((s: { value: string; steps: { step: number; event: string; persons: number; shareOfStarted: number }[] }) =>
      s.steps.map((x) => ({ step: x.step, event: x.event, channel: s.value, persons: x.persons, rate: x.shareOfStarted })),
    );
    expect(shown.sort((a: { step: number; channel: string }, b: { step: number; channel: string }) => a.step - b.step || a.channel.localeCompare(b.channel))).toEqual(direct.rows);
    expect(res.body.segments.map((s: { value: string; persons: number; converted: number }) => [s.value, s.persons, s.converted])).toEqual([
      ['web', WEB, 30],
      ['mobile', IOS, 0],
    ]);
    for (const step of res.body.funnel) {
      const sum = res.body.segments.reduce((n: number, s: { steps: { step: number; persons: number }[] }) => n + s.steps.find((x) => x.step === step.step)!.persons, 0);
      expect(sum).toBe(step.persons);
    }
    expect(res.body.sql).toContain('FROM analytics.funnel(');
    expect(res.body.sql).toContain('FROM analytics.funnel_by_channel(');

    const guardrails = codes(res.body.guardrails);
    expect(guardrails).toContain('small_segment channel=mobile');
    expect(guardrails).not.toContain('small_segment channel=web');
    expect(guardrails).toContain(`not_instrumented mobile: ${OC}`);
    expect(guardrails.filter((g) => g.startsWith('not_instrumented'))).toHaveLength(1);
    expect(guardrails).toContain(`schema_versions_differ ${PV}`);
    expect(guardrails.some((g) => g.startsWith('ingestion_incident '))).toBe(true);
    expect(guardrails).toContain(`late_events_window ${new Date(Date.parse(to) + 3600_000).toISOString()}`);
    const small = res.body.guardrails.find((g: { code: string }) => g.code === 'small_segment');
    expect(small).toMatchObject({ severity: 'warning', message: expect.stringContaining('channel=mobile has 12 persons, fewer than 100') });
    // Warnings come before notes.
    const severities = res.body.guardrails.map((g: { severity: string }) => g.severity);
    expect(severities).toEqual([...severities].sort((a: string, b: string) => (a === b ? 0 : a === 'warning' ? -1 : 1)));
  });

  it.each([
    ['platform', ['web', 'iOS'], `iOS: ${OC}`],
    ['app_version', ['(none)', '3.1.0'], `3.1.0: ${OC}`],
    ['region', ['GB', 'Germany'], `Germany: ${OC}`],
  ])('splits by %s the same way: values %j, each step adds up, %s not instrumented', async (breakdown, values, missing) => {
    const res = await get('funnel', { steps: STEPS, from, to, window: '1h', breakdown });
    expect(res.status).toBe(200);
    expect(res.body.funnel).toEqual(await directFunnel('1 hour'));
    expect(res.body.segments.map((s: { value: string; persons: number; converted: number }) => [s.value, s.persons, s.converted])).toEqual([
      [values[0], WEB, 30],
      [values[1], IOS, 0],
    ]);
    for (const step of res.body.funnel) {
      const sum = res.body.segments.reduce((n: number, s: { steps: { step: number; persons: number }[] }) => n + s.steps.find((x) => x.step === step.step)!.persons, 0);
      expect(sum).toBe(step.persons);
    }
    expect(codes(res.body.guardrails)).toEqual(expect.arrayContaining([`small_segment ${breakdown}=${values[1]}`, `not_instrumented ${missing}`]));
    // The split as shown runs by hand to the same rows.
    const results = await runShown(res.body.sql);
    expect(results).toHaveLength(2);
    expect(results[1]!.filter((r) => r.segment === values[1]).map((r) => Number(r.persons))).toEqual([IOS, 8, 0]);
  });

  it('answers time to convert as analytics.time_to_convert, with a histogram from the same function', async () => {
    const res = await get('time-to-convert', { fromEvent: PV, toEvent: OC, from, to, window: '1h' });
    expect(res.status).toBe(200);
    const direct = await stack.pool.query(
      `SELECT started, converted, extract(epoch FROM p50)::float8 AS p50, extract(epoch FROM p90)::float8 AS p90, extract(epoch FROM p99)::float8 AS p99
       FROM analytics.time_to_convert($1, $2, $3, $4, $5, interval '1 hour')`,
      [projectId, PV, OC, from, to],
    );
    const d = direct.rows[0];
    expect(d).toEqual({ started: WEB + IOS, converted: 30, p50: 600, p90: 600, p99: 600 });
    expect(res.body).toMatchObject({ started: d.started, converted: d.converted, p50Seconds: d.p50, p90Seconds: d.p90, p99Seconds: d.p99 });
    expect(res.body.histogram).toEqual([
      { fromSeconds: 0, toSeconds: 60, persons: 0 },
      { fromSeconds: 60, toSeconds: 300, persons: 0 },
      { fromSeconds: 300, toSeconds: 900, persons: 30 },
      { fromSeconds: 900, toSeconds: 3600, persons: 0 },
    ]);
    expect(res.body.sql).toContain('analytics.time_to_convert(');
    expect(codes(res.body.guardrails)).toContain(`not_instrumented mobile: ${OC}`);
  });

  it('answers adoption per week as analytics.feature_adoption for each week of the period', async () => {
    const res = await get('adoption', { event: OC, from, to, interval: 'week' });
    expect(res.status).toBe(200);
    const weeks = [...new Set(res.body.buckets.map((b: { bucket: string }) => b.bucket))] as string[];
    expect(weeks.length).toBeGreaterThan(0);
    const expected = [];
    for (const week of weeks) {
      const rows = await stack.pool.query(
        `SELECT channel, app_version AS "appVersion", active_persons AS "activePersons", adopters, adoption_rate::float8 AS "adoptionRate"
         FROM analytics.feature_adoption($1, $2, greatest($3::timestamptz, $4::timestamptz), least($3::timestamptz + interval '1 week', $5::timestamptz))
         ORDER BY channel, app_version NULLS FIRST`,
        [projectId, OC, week, from, to],
      );
      expected.push(...rows.rows.map((r) => ({ bucket: week, ...r })));
    }
    expect(res.body.buckets).toEqual(expected);
    const adopters = (channel: string) => res.body.buckets.filter((b: { channel: string }) => b.channel === channel).reduce((n: number, b: { adopters: number }) => n + b.adopters, 0);
    expect([adopters('web'), adopters('mobile')]).toEqual([30, 0]);
    expect(res.body.sql).toContain('analytics.feature_adoption(');
    expect(codes(res.body.guardrails)).toContain(`not_instrumented mobile: ${OC}`);
  });

  it('answers retention cohorts of first-seen persons, weeks that have not begun left empty', async () => {
    const res = await get('retention', { from, to, weeks: '4' });
    expect(res.status).toBe(200);
    const persons = await stack.pool.query(`SELECT count(DISTINCT person_id)::int AS n FROM analytics.events WHERE project_id = $1`, [projectId]);
    expect(persons.rows[0].n).toBe(WEB + IOS);
    expect(res.body.cohorts.reduce((n: number, c: { persons: number }) => n + c.persons, 0)).toBe(WEB + IOS);
    for (const cohort of res.body.cohorts) {
      expect(cohort.weeks).toHaveLength(4);
      expect(cohort.weeks.at(-1)).toEqual({ week: 4, active: null, share: null, complete: false });
    }
    expect(res.body.sql).toContain('FROM analytics.events e');
  });

  it('answers active persons as analytics.active_persons_daily has them', async () => {
    const res = await get('active-persons', { from, to, interval: 'day' });
    expect(res.status).toBe(200);
    const direct = await stack.pool.query(
      `SELECT day::text AS bucket, channel, active_persons AS "activePersons" FROM analytics.active_persons_daily WHERE project_id = $1 ORDER BY day, channel NULLS FIRST`,
      [projectId],
    );
    expect(res.body.buckets).toEqual(direct.rows);
    expect(res.body.buckets.filter((b: { channel: string | null }) => b.channel === null).reduce((n: number, b: { activePersons: number }) => n + b.activePersons, 0)).toBeGreaterThanOrEqual(WEB + IOS);
    expect(res.body.sql).toContain('FROM analytics.active_persons_daily');
  });

  it('lets an analyst read the granted project only: others answer 404 like a project that does not exist', async () => {
    const mine = await get('funnel', { steps: STEPS, from, to, window: '1h' }, analystToken);
    expect(mine.status).toBe(200);
    expect(mine.body.funnel).toEqual(await directFunnel('1 hour'));
    // The SQL shown runs as the analyst's own Postgres role (row-level security) to the same rows.
    const [asAnalyst] = await runShown(mine.body.sql, analystRole);
    expect(asAnalyst!.map((r) => Number(r.persons))).toEqual([WEB + IOS, 98, 30]);

    const projects = await stack.api!.call('GET', '/api/projects', undefined, analystToken);
    expect(projects.body.projects.map((p: { projectId: string }) => p.projectId)).toEqual([projectId]);

    const notMine = await stack.api!.call('GET', `/api/projects/${otherProject}/analysis/funnel?${query({ steps: STEPS, from, to })}`, undefined, analystToken);
    const missing = await stack.api!.call('GET', `/api/projects/nosuchproject/analysis/funnel?${query({ steps: STEPS, from, to })}`, undefined, analystToken);
    expect(notMine.status).toBe(404);
    expect(notMine.body.error.code).toBe('unknown_project');
    expect([missing.status, missing.body.error.code]).toEqual([404, 'unknown_project']);

    for (const path of ['analysis/funnel', 'analysis/retention', 'analysis/active-persons', 'health']) {
      const res = await stack.api!.call('GET', `/api/projects/${projectId}/${path}?${query({ steps: STEPS, from, to })}`, undefined, otherAnalystToken);
      expect([path, res.status, res.body.error?.code]).toEqual([path, 404, 'unknown_project']);
    }
    // Admins read every project.
    expect((await stack.api!.call('GET', `/api/projects/${otherProject}/analysis/active-persons?${query({ from, to })}`)).status).toBe(200);
  });

  it('keeps an analyst to the granted project on every route that names one, and on operations', async () => {
    const person = await stack.pool.query<{ person_id: string }>('SELECT person_id FROM analytics.events WHERE project_id = $1 LIMIT 1', [projectId]);
    const routes = [
      `/api/projects/${projectId}`,
      `/api/projects/${projectId}/schemas`,
      `/api/projects/${projectId}/contracts`,
      `/api/projects/${projectId}/canaries`,
      `/api/projects/${projectId}/devices/web/some-device`,
      `/api/projects/${projectId}/rejections`,
      `/api/persons/${projectId}/${person.rows[0]!.person_id}/journey`,
      `/api/persons/${projectId}/${person.rows[0]!.person_id}/merges`,
    ];
    for (const path of routes) {
      const other = await stack.api!.call('GET', path, undefined, otherAnalystToken);
      expect([path, other.status, other.body.error?.code]).toEqual([path, 404, 'unknown_project']);
      const own = await stack.api!.call('GET', path, undefined, analystToken);
      expect([path, own.body.error?.code === 'unknown_project']).toEqual([path, false]);
    }
    const replay = await stack.api!.call('POST', '/api/replays', { projectId, from, to, target: 'sandbox' });
    expect(replay.status).toBe(202);
    const listed = async (token: string) => ((await stack.api!.call('GET', '/api/operations', undefined, token)).body.operations as { id: string }[]).map((o) => o.id);
    expect(await listed(analystToken)).toContain(replay.body.id);
    expect(await listed(otherAnalystToken)).not.toContain(replay.body.id);
    expect((await stack.api!.call('GET', `/api/replays/${replay.body.id}`, undefined, otherAnalystToken)).status).toBe(404);
    expect((await stack.api!.call('GET', `/api/replays/${replay.body.id}`, undefined, analystToken)).status).toBe(200);
  });

  it.each([
    ['funnel', { steps: [PV], from, to }, 'steps'],
    ['funnel', { steps: Array.from({ length: 11 }, (_, i) => `Step ${i}`), from, to }, 'steps'],
    ['funnel', { steps: STEPS, from, to, window: 'forever' }, 'window'],
    ['funnel', { steps: STEPS, from, to, window: '91d' }, 'window'],
    ['funnel', { steps: STEPS, from: to, to: from }, 'from'],
    ['funnel', { steps: STEPS, from: 'yesterday', to }, 'from'],
    ['funnel', { steps: STEPS, from }, 'to'],
    ['funnel', { steps: STEPS, from, to, breakdown: 'os' }, 'breakdown'],
    ['time-to-convert', { fromEvent: PV, from, to }, 'toEvent'],
    ['adoption', { event: OC, from: '2025-01-01T00:00:00Z', to: '2025-12-31T00:00:00Z', interval: 'day' }, 'interval'],
    ['retention', { from, to, weeks: '0' }, 'weeks'],
    ['active-persons', { from: '2024-01-01T00:00:00Z', to: '2025-06-01T00:00:00Z' }, 'to'],
  ])('answers 400 naming the field for a bad %s query: %j → %s', async (path, params, field) => {
    const res = await get(path, params, analystToken);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
    expect(res.body.error.message).toMatch(new RegExp(`^query: ${field}: `));
    expect(res.body.error.details[0].path).toBe(field);
  });

  describe('in the console', () => {
    let browser: Browser;
    let page: Page;
    const browserErrors: string[] = [];
    /** The period as a datetime-local input takes it (the page runs in UTC). */
    const local = (iso: string) => iso.slice(0, 16);

    beforeAll(async () => {
      expect(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}: apt-get install chromium (or set BRAID_CHROMIUM)`).toBe(true);
      mkdirSync(SHOTS, { recursive: true });
      browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
      page = await browser.newPage({ viewport: { width: 1360, height: 1000 }, timezoneId: 'UTC' });
      page.on('console', (msg) => {
        if (msg.type() === 'error') browserErrors.push(msg.text());
      });
      page.on('pageerror', (error) => browserErrors.push(String(error)));
      await page.goto(`${stack.api!.url}/?project=${projectId}#funnel`);
      await page.fill('#token', analystToken);
      await page.click('#signin-form button');
      await page.waitForSelector('#nav:not([hidden])');
      await page.fill('#period-from', local(from));
      await page.fill('#period-to', local(to));
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
    });

    it('lists only the analyst’s granted project', async () => {
      expect(await page.$$eval('#project option', (options) => options.map((o) => o.getAttribute('value')))).toEqual([projectId]);
    });

    it('builds the funnel: the numbers shown equal analytics.funnel, the guardrails stand beside them, the SQL shows on demand', async () => {
      await page.waitForSelector(`#funnel-steps select[data-step="2"] option[value="${CU}"]`, { state: 'attached' });
      await page.click('#funnel-add-step');
      await page.selectOption('#funnel-steps select[data-step="1"]', PV);
      await page.selectOption('#funnel-steps select[data-step="2"]', CU);
      await page.selectOption('#funnel-steps select[data-step="3"]', OC);
      await page.selectOption('#funnel-window', '1h');
      await page.selectOption('#funnel-breakdown', 'channel');
      await page.click('#funnel-run');
      await page.waitForSelector('#funnel-table tbody tr[data-step="3"]');

      const direct = await directFunnel('1 hour', { from: `${local(from)}:00.000Z`, to: `${local(to)}:00.000Z` });
      const shown = await page.$$eval('#funnel-table tbody tr', (rows) =>
        rows.map((r) => ({
          step: Number(r.getAttribute('data-step')),
          event: r.children[1]!.textContent,
          persons: Number(r.querySelector('[data-figure="persons"]')!.textContent!.replace(/,/g, '')),
          conversion: r.querySelector('[data-figure="conversion"]')!.textContent,
        })),
      );
      expect(shown).toEqual(direct.map((r) => ({ step: r.step, event: r.event, persons: r.persons, conversion: `${(r.conversionRate * 100).toFixed(1)} %` })));
      expect(await page.textContent('#funnel-segments tbody tr[data-segment="mobile"]')).toContain('channel=mobile');

      // The guardrails, visible beside the numbers, with their severity.
      const notInstrumented = `#funnel-guardrails li[data-code="not_instrumented"][data-subject="mobile: ${OC}"]`;
      expect(await page.isVisible(notInstrumented)).toBe(true);
      expect(await page.textContent(notInstrumented)).toContain('probably not instrumented there');
      expect(await page.getAttribute(notInstrumented, 'data-severity')).toBe('warning');
      expect(await page.isVisible('#funnel-guardrails li[data-code="small_segment"][data-subject="channel=mobile"]')).toBe(true);
      expect(await page.textContent('#funnel-freshness')).toMatch(/^Data as of .*newest event in this period written/);

      // The SQL, on demand, with a copy button.
      expect(await page.isHidden('#funnel-sql')).toBe(true);
      await page.click('#funnel-sql-toggle');
      expect(await page.isVisible('#funnel-sql')).toBe(true);
      expect(await page.isVisible('#funnel-sql-copy')).toBe(true);
      const sql = (await page.textContent('#funnel-sql')) ?? '';
      expect(sql).toContain('FROM analytics.funnel(');
      expect(sql).toContain(`'${PV}'`);
      await page.screenshot({ path: join(SHOTS, 'funnel.png'), fullPage: true });
    });

    it('shows time to convert, adoption, retention and active persons with their guardrails and SQL', async () => {
      await page.click('nav a[data-page="time-to-convert"]');
      await page.waitForSelector(`#conversion-to-event option[value="${OC}"]`, { state: 'attached' });
      await page.selectOption('#conversion-from-event', PV);
      await page.selectOption('#conversion-to-event', OC);
      await page.selectOption('#conversion-window', '1h');
      await page.click('#conversion-form button[type="submit"]');
      await expect.poll(() => page.textContent('[data-figure="ttc-converted"]')).toBe('30');
      expect(await page.textContent('[data-figure="ttc-started"]')).toBe(String(WEB + IOS));
      expect(await page.textContent('[data-figure="ttc-p50"]')).toBe('10 min');
      expect(await page.isVisible(`#time-to-convert-guardrails li[data-code="not_instrumented"]`)).toBe(true);
      await page.screenshot({ path: join(SHOTS, 'time-to-convert.png'), fullPage: true });

      await page.click('nav a[data-page="adoption"]');
      await page.waitForSelector(`#adoption-event option[value="${OC}"]`, { state: 'attached' });
      await page.selectOption('#adoption-event', OC);
      await page.click('#adoption-form button[type="submit"]');
      await page.waitForSelector('#adoption-table tbody tr');
      expect(await page.isVisible('#adoption-guardrails li')).toBe(true);
      await page.screenshot({ path: join(SHOTS, 'adoption.png'), fullPage: true });

      await page.click('nav a[data-page="retention"]');
      await page.waitForSelector('#retention-table tbody tr[data-cohort]');
      await page.click('#retention-sql-toggle');
      expect(await page.textContent('#retention-sql')).toContain('analytics.events');
      await page.screenshot({ path: join(SHOTS, 'retention.png'), fullPage: true });

      await page.click('nav a[data-page="active-persons"]');
      await page.waitForSelector('#active-table tbody tr');
      expect(await page.textContent('#active-persons-freshness')).toMatch(/^Data as of /);
      await page.screenshot({ path: join(SHOTS, 'active-persons.png'), fullPage: true });
    });

    it('logged no errors in the browser console', () => {
      expect(browserErrors).toEqual([]);
    });
  });
});
