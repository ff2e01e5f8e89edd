import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawSubject } from '../../contracts/wire';
import { grantAnalystProject } from '../../db/analyst-access';
import { createToken } from '../../db/api-tokens';
import { identify, track } from '../support/events';
import { finished, waitForOperation } from '../support/operations';
import { startStack, uniqueId, type Stack } from '../support/stack';

/** Debian's chromium (`.ci/run` installs it when missing), or the one BRAID_CHROMIUM names. */
const CHROMIUM = process.env.BRAID_CHROMIUM ?? '/usr/bin/chromium';
const SHOTS = join('test-output', 'console');

/**
 * The operator console in real headless Chromium against a real braid: sign
 * in with a token, read figures that match the database, and pause a running
 * replay from the page. Screenshots are kept in test-output/console/.
 */
describe('operator console', () => {
  const projectId = uniqueId('console');
  const N = 1500;
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  const browserErrors: string[] = [];

  beforeAll(async () => {
    expect(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}: apt-get install chromium (or set BRAID_CHROMIUM)`).toBe(true);
    // snake_case naming: every 'Console Viewed' is written with a naming_violation flag, which data quality shows.
    stack = await startStack({ projects: [{ projectId, name: 'console test', namingConvention: 'snake_case' }], api: true, operationChunk: 20 });
    const subject = rawSubject(projectId, 'web');
    await Promise.all(Array.from({ length: N }, (_, i) => stack.publish(subject, track({ anonymousId: `device-${i % 30}`, event: 'Console Viewed', properties: { i } }))));
    // Two that braid rejects, with their reasons.
    await stack.publish(subject, { type: 'track', event: 'No Id' }, { msgId: uniqueId('bad') });
    await stack.publish(subject, 'not json at all', { msgId: uniqueId('bad') });
    // One identity link (a merge the identity page can undo), and three events whose consent says no.
    await stack.publish(subject, identify({ userId: 'console-user', anonymousId: 'device-0' }));
    const denied = { consent: { categoryPreferences: { Analytics: false } } };
    for (let i = 0; i < 3; i++) await stack.publish(subject, track({ anonymousId: 'private-device', event: 'Private Viewed', context: denied }));
    await stack.drained(projectId, N + 6, 120_000);

    mkdirSync(SHOTS, { recursive: true });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('console', (msg) => {
      if (msg.type() === 'error') browserErrors.push(msg.text());
    });
    page.on('pageerror', (error) => browserErrors.push(String(error)));
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('is served at / and refuses a wrong token with a clear message', async () => {
    await page.goto(`${stack.api!.url}/`);
    await page.fill('#token', 'not-a-real-token');
    await page.click('#signin-form button');
    await expect.poll(() => page.textContent('#signin-error')).toContain('unknown token');
  });

  it('signs in and shows ingestion figures equal to analytics.ingestion_health', async () => {
    await page.goto(`${stack.api!.url}/?project=${projectId}#health`);
    await page.fill('#token', stack.api!.adminToken);
    await page.click('#signin-form button');
    await page.waitForSelector('#nav:not([hidden])');
    const db = await stack.pool.query(
      `SELECT sum(received)::int AS received, sum(written)::int AS written, sum(rejected)::int AS rejected
       FROM analytics.ingestion_health WHERE project_id = $1 AND minute >= date_trunc('minute', now()) - interval '60 minutes'`,
      [projectId],
    );
    expect(db.rows[0]).toEqual({ received: N + 6, written: N + 1, rejected: 2 });
    const figure = (name: string) => page.textContent(`[data-figure="${name}"]`).then((t) => Number((t ?? '').replace(/,/g, '')));
    await expect.poll(() => figure('received')).toBe(db.rows[0].received);
    expect(await figure('written')).toBe(db.rows[0].written);
    expect(await figure('rejected')).toBe(db.rows[0].rejected);
    await page.waitForSelector('#rate-chart');
    // Tail events: the slowest first, its latency as the lineage has it.
    await page.waitForSelector('#slowest-table tbody tr');
    const slowest = await stack.pool.query(
      `SELECT round(extract(epoch FROM l.written_at - l.received_at) * 1000)::int AS ms FROM braid.lineage l
       WHERE l.project_id = $1 AND l.replay_id IS NULL ORDER BY l.written_at - l.received_at DESC LIMIT 1`,
      [projectId],
    );
    expect(await page.textContent('#slowest-table tbody tr:first-child td:nth-child(3)')).toBe(`${slowest.rows[0].ms.toLocaleString('en-US')} ms`);
    expect(await page.$$('#slowest-table tbody tr')).toHaveLength(10);
    await page.screenshot({ path: join(SHOTS, 'health.png'), fullPage: true });
  });

  it('flags data-quality hours and says why', async () => {
    await page.click('nav a[data-page="quality"]');
    await page.waitForSelector('#quality-table tbody tr[data-flags]');
    const db = await stack.pool.query(`SELECT count(*)::int AS n FROM analytics.data_quality WHERE project_id = $1 AND naming_violations > 0`, [projectId]);
    expect(db.rows[0].n).toBeGreaterThan(0);
    expect(await page.$$('#quality-table tbody tr[data-flags~="naming"]')).toHaveLength(db.rows[0].n);
    expect(await page.textContent('#quality-table tbody tr[data-flags~="naming"]')).toContain("named against the project's naming convention");
    await page.screenshot({ path: join(SHOTS, 'quality.png'), fullPage: true });
  });

  it('shows consent: held now and suppressed, equal to the database', async () => {
    await page.click('nav a[data-page="consent"]');
    const db = await stack.pool.query(`SELECT COALESCE(sum(count), 0)::int AS n FROM analytics.consent_suppressions WHERE project_id = $1`, [projectId]);
    expect(db.rows[0].n).toBe(3);
    await expect.poll(() => page.textContent('[data-figure="suppressed-30d"]')).toBe('3');
    expect(await page.textContent('[data-figure="held"]')).toBe('0');
    await page.screenshot({ path: join(SHOTS, 'consent.png'), fullPage: true });
  });

  it('lists rejections by reason with their counts and samples', async () => {
    await page.click('nav a[data-page="rejections"]');
    await page.waitForSelector('.reason');
    const db = await stack.pool.query(`SELECT reason, count(*)::int AS n FROM analytics.rejected_events WHERE project_id = $1 AND resolved_at IS NULL GROUP BY 1 ORDER BY 1`, [projectId]);
    expect(db.rows.length).toBeGreaterThan(0);
    for (const { reason, n } of db.rows) expect(await page.textContent(`.reason[data-reason="${reason}"] h3`)).toBe(`${reason} — ${n}`);
    await page.screenshot({ path: join(SHOTS, 'rejections.png'), fullPage: true });
  });

  it('pauses a running replay from the page, and the replay holds still', async () => {
    const started = await stack.api!.call('POST', '/api/replays', {
      projectId,
      from: new Date(Date.now() - 3600_000).toISOString(),
      to: new Date(Date.now() + 1000).toISOString(),
      target: 'sandbox',
    });
    expect(started.status).toBe(202);
    const id = started.body.id as string;
    // Running: it has read its first chunks.
    await expect.poll(async () => (await stack.api!.call('GET', `/api/replays/${id}`)).body.counts.read as number, { timeout: 60_000, interval: 100 }).toBeGreaterThan(0);
    await page.click('nav a[data-page="operations"]');
    const row = `tr[data-operation="${id}"]`;
    await page.waitForSelector(`${row} button[data-action="pause"]`);
    await page.click(`${row} button[data-action="pause"]`);
    await page.waitForSelector(`${row} [data-status="paused"]`, { timeout: 60_000 });
    const paused = await stack.api!.call('GET', `/api/replays/${id}`);
    expect(paused.body.status).toBe('paused');
    const readAtPause = paused.body.counts.read as number;
    expect(readAtPause).toBeGreaterThan(0);
    expect(readAtPause).toBeLessThan(N + 2);
    await page.screenshot({ path: join(SHOTS, 'replay-paused.png'), fullPage: true });
    await new Promise((r) => setTimeout(r, 1500));
    expect((await stack.api!.call('GET', `/api/replays/${id}`)).body.counts.read).toBe(readAtPause);
    await page.click(`${row} button[data-action="cancel"]`);
    await page.waitForSelector(`${row} [data-status="cancelled"]`, { timeout: 60_000 });
  });

  it('shows a finished sandbox replay’s diff against production', async () => {
    const started = await stack.api!.call('POST', '/api/replays', {
      projectId,
      from: new Date(Date.now() - 3600_000).toISOString(),
      to: new Date(Date.now() + 1000).toISOString(),
      target: 'sandbox',
      events: ['Private Viewed', 'No Id'],
    });
    const op = await waitForOperation(stack, `/api/replays/${started.body.id}`, finished);
    expect(op.status).toBe('completed');
    const sandboxRows = await stack.pool.query(`SELECT count(*)::int AS n FROM ${op.sandboxSchema}.canonical_events WHERE project_id = $1`, [projectId]);
    await page.click('#refresh');
    await page.click(`tr[data-operation="${op.id}"] button[data-action="diff"]`);
    await page.waitForSelector('#diff [data-diff="summary"]');
    expect(await page.textContent('#diff [data-diff="summary"]')).toMatch(new RegExp(`^${sandboxRows.rows[0].n} rows: `));
    await page.screenshot({ path: join(SHOTS, 'sandbox-diff.png'), fullPage: true });
  });

  it('shows a person’s journey and merges, and undoes a merge', async () => {
    const person = await stack.pool.query(`SELECT person_id FROM analytics.identities WHERE project_id = $1 AND kind = 'user' AND id = 'console-user'`, [projectId]);
    const personId = person.rows[0].person_id as string;
    await page.goto(`${stack.api!.url}/?project=${projectId}&person=${personId}#identity`);
    await page.waitForSelector('#merges-table tbody tr [data-status="active"]');
    await page.waitForSelector('#journey-chart');
    await page.screenshot({ path: join(SHOTS, 'identity.png'), fullPage: true });
    await page.click('#merges-table button[data-action="undo"]');
    await page.waitForSelector('#merges-table tbody tr [data-status="undone"]');
    const links = await stack.pool.query(`SELECT status FROM braid.identity_links WHERE project_id = $1`, [projectId]);
    expect(links.rows.map((r) => r.status)).toContain('undone');
  });

  it('starts a rules canary from the page, shows both arms as the API counts them, and promotes it', async () => {
    await page.goto(`${stack.api!.url}/?project=${projectId}#canaries`);
    await page.waitForSelector('#canary-form');
    await page.fill('#canary-changes', JSON.stringify({ trackingPlan: { namingViolations: 'block' } }));
    await page.fill('#canary-percent', '50');
    await page.click('#canary-form button[type="submit"]');
    await page.waitForSelector('#canary-arms-table');
    const id = (await page.getAttribute('#canary-arms', 'data-canary')) as string;
    expect(id).toMatch(/^cn_/);
    // Ingest reloads its rules every few seconds; then half of the devices have 'Console Viewed' blocked.
    await new Promise((r) => setTimeout(r, 6_000));
    const subject = rawSubject(projectId, 'web');
    for (let i = 0; i < 60; i++) await stack.publish(subject, track({ anonymousId: `canary-device-${i % 20}`, event: 'Console Viewed' }));
    await stack.drained(projectId, N + 6 + 60, 60_000);
    const arms = (await stack.api!.call('GET', `/api/projects/${projectId}/canaries/${id}`)).body.arms;
    expect(arms.canary.rejectedByReason.naming_violation).toBeGreaterThan(0);
    await page.click(`tr[data-canary="${id}"] button[data-action="arms"]`);
    const figure = (name: string, column: number) => page.textContent(`#canary-arms-table tr[data-figure="${name}"] td:nth-child(${column})`);
    await expect
      .poll(async () => [await figure('naming_violation', 3), await figure('written', 2), await figure('devices', 3)])
      .toEqual([String(arms.canary.rejectedByReason.naming_violation), String(arms.control.written), String(arms.canary.devices)]);
    await page.screenshot({ path: join(SHOTS, 'canary.png'), fullPage: true });
    await page.click(`tr[data-canary="${id}"] button[data-action="promote"]`);
    await page.waitForSelector(`tr[data-canary="${id}"] [data-status="promoted"]`);
    expect((await stack.api!.call('GET', `/api/projects/${projectId}`)).body.trackingPlan.namingViolations).toBe('block');
  });

  it('shows an analyst the figures but no operator buttons', async () => {
    // An analyst token reads the projects granted to the Postgres role named like it.
    await grantAnalystProject(stack.pool, `analyst_${projectId}`, projectId);
    const { token } = await createToken(stack.pool, { name: `analyst_${projectId}`, role: 'analyst' });
    const analyst = await browser.newPage();
    analyst.on('pageerror', (error) => browserErrors.push(String(error)));
    await analyst.goto(`${stack.api!.url}/?project=${projectId}#operations`);
    await analyst.fill('#token', token);
    await analyst.click('#signin-form button');
    await analyst.waitForSelector('#operations-table tbody tr');
    expect(await analyst.isHidden('#sandbox-form')).toBe(true);
    // Reading (a sandbox diff) is theirs; pause, resume, cancel and undo are not.
    expect(await analyst.$$('button[data-action="pause"], button[data-action="resume"], button[data-action="cancel"], button[data-action="undo"]')).toHaveLength(0);
    expect(await analyst.$$('button[data-action="diff"]')).not.toHaveLength(0);
    await analyst.close();
  });

  it('logged no errors in the browser console', () => {
    // The wrong-token sign-in answers 401, which Chromium logs as a failed resource load: that one is expected.
    expect(browserErrors.filter((e) => !e.includes('401'))).toEqual([]);
  });
});
