import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken } from '../../db/api-tokens';
import { finished, waitForOperation } from '../support/operations';
import { startStack, uniqueId, type Stack } from '../support/stack';

/**
 * analytics.audit_log (contract §6) and GET /api/audit: every operator action
 * through the API, refused ones included, with who, what, on what, from where,
 * and never a secret or an erased or consenting person's id.
 */
describe('audit log', () => {
  const projectId = uniqueId('audit');
  let stack: Stack;
  let createdToken: string;
  let analystToken: string;

  beforeAll(async () => {
    stack = await startStack({ projects: [], api: true });
    const api = stack.api!;
    expect((await api.call('POST', '/api/projects', { projectId, name: 'audit test' })).status).toBe(201);
    expect((await api.call('PATCH', `/api/projects/${projectId}`, { sessionTimeoutMinutes: 45 })).status).toBe(200);
    const token = await api.call('POST', '/api/tokens', { name: `ops ${projectId}`, role: 'operator' });
    expect(token.status).toBe(201);
    createdToken = token.body.token;
    const erasure = await api.call('POST', '/api/erasures', { projectId, mode: 'suppress', userId: 'secret-person-42' });
    expect(erasure.status).toBe(202);
    await waitForOperation(stack, `/api/erasures/${erasure.body.id}`, finished);
    expect((await api.call('POST', '/api/consent', { projectId, anonymousId: 'consenting-visitor-7', categories: { analytics: false } })).status).toBeLessThan(300);
    // Refused: no token, and an analyst trying an operator action.
    expect((await api.call('POST', '/api/replays', { projectId, from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z', target: 'sandbox' }, null)).status).toBe(401);
    analystToken = (await createToken(stack.pool, { name: `analyst ${projectId}`, role: 'analyst' })).token;
    expect((await api.call('PATCH', `/api/projects/${projectId}`, { sessionTimeoutMinutes: 10 }, analystToken)).status).toBe(403);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const entries = async () => {
    const res = await stack.pool.query(`SELECT at, actor, role, action, target, details, source_ip FROM analytics.audit_log WHERE project_id = $1 ORDER BY at`, [projectId]);
    return res.rows;
  };

  it('records each action with actor, role, action, target, status and source ip', async () => {
    await expect.poll(async () => (await entries()).length, { timeout: 10_000 }).toBeGreaterThanOrEqual(6);
    const rows = await entries();
    const admin = stack.api!.adminToken ? expect.stringContaining('test admin') : expect.anything();
    expect(rows.map((r) => [r.action, r.details.status])).toEqual(
      expect.arrayContaining([
        ['POST /api/projects', 201],
        ['PATCH /api/projects/:p', 200],
        ['POST /api/erasures', 202],
        ['POST /api/consent', expect.any(Number)],
        ['POST /api/replays', 401],
        ['PATCH /api/projects/:p', 403],
      ]),
    );
    const erasure = rows.find((r) => r.action === 'POST /api/erasures')!;
    expect(erasure).toMatchObject({ actor: admin, role: 'admin', target: expect.stringMatching(/^er_/), source_ip: expect.stringMatching(/127\.0\.0\.1/) });
    expect(erasure.details.body).toMatchObject({ projectId, mode: 'suppress', fields: ['mode', 'projectId', 'userId'] });
    const refused = rows.find((r) => r.details.status === 403)!;
    expect(refused).toMatchObject({ actor: `analyst ${projectId}`, role: 'analyst' });
    expect(rows.find((r) => r.details.status === 401)).toMatchObject({ actor: null, role: null });
  });

  it('keeps no erased id, consenting id or token in any entry', async () => {
    const all = await stack.pool.query(`SELECT details::text AS d, target FROM analytics.audit_log`);
    const text = all.rows.map((r) => `${r.d} ${r.target}`).join('\n');
    expect(text).not.toContain('secret-person-42');
    expect(text).not.toContain('consenting-visitor-7');
    expect(text).not.toContain(createdToken);
    expect(text).not.toContain(analystToken);
  });

  it('answers GET /api/audit for operators and admins, newest first, and refuses analysts', async () => {
    const res = await stack.api!.call('GET', `/api/audit?projectId=${projectId}&limit=50`);
    expect(res.status).toBe(200);
    const rows = await entries();
    expect(res.body.entries).toHaveLength(rows.length);
    expect(res.body.entries[0].id).toBeGreaterThan(res.body.entries[res.body.entries.length - 1].id);
    expect((await stack.api!.call('GET', '/api/audit', undefined, analystToken)).status).toBe(403);
    expect((await stack.api!.call('GET', '/api/audit?limit=1', undefined, createdToken)).status).toBe(200);
  });
});
