import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../runtime/paths';
import { sleep } from '../support/events';
import { startStack, uniqueId, type Stack } from '../support/stack';

const run = promisify(execFile);

/**
 * Consumer contracts on the real API and Postgres: a consumer registers what
 * it reads; a producer's schema change that would break it is refused naming
 * the consumer, goes through only with force (and the audit log says so);
 * `braid schema check --proposed` names the consumers beforehand and
 * `braid contract verify` fails the consumer's CI once the registry no longer
 * serves it.
 */
describe('consumer contracts', () => {
  const projectId = uniqueId('contracts');
  const dir = mkdtempSync(join(tmpdir(), 'braid-contracts-'));
  let stack: Stack;
  let env: NodeJS.ProcessEnv;
  const braid = (...args: string[]) =>
    run(process.execPath, [join(repoRoot, 'bin', 'braid.js'), ...args], { env, cwd: repoRoot }).then(
      (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    );
  const orderSchema = (properties: Record<string, unknown>) => ({ type: 'object', properties });
  const file = (name: string, content: unknown) => {
    const path = join(dir, name);
    writeFileSync(path, JSON.stringify(content));
    return path;
  };

  beforeAll(async () => {
    stack = await startStack({ projects: [{ projectId, name: 'contracts' }], api: true });
    env = { ...process.env, BRAID_API_URL: stack.api!.url, BRAID_TOKEN: stack.api!.adminToken, BRAID_PROJECT: projectId, BRAID_LOG_LEVEL: 'silent' };
    const pushed = await stack.api!.call('PUT', `/api/projects/${projectId}/schemas/Order%20Completed`, {
      schema: orderSchema({ revenue: { type: 'number' }, currency: { type: 'string' }, coupon: { type: 'string' } }),
    });
    expect(pushed.status).toBe(201);
  });
  afterAll(async () => {
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('registers what a consumer reads and says the registry serves it', async () => {
    const reads = [{ event: 'Order Completed', properties: { revenue: 'number', currency: 'string' } }];
    const first = await stack.api!.call('PUT', `/api/projects/${projectId}/contracts/revenue-dashboard`, { reads });
    expect(first.status).toBe(201);
    expect(first.body.breaks).toEqual([]);
    const again = await stack.api!.call('PUT', `/api/projects/${projectId}/contracts/revenue-dashboard`, { reads });
    expect(again.status).toBe(200);
    const pushed = await braid('contract', 'push', 'coupon-report', file('coupons.json', { reads: [{ event: 'Order Completed', properties: { coupon: 'string' } }] }));
    expect(pushed).toMatchObject({ code: 0, stdout: expect.stringContaining('coupon-report: the registry serves everything it reads') });
    const listed = await stack.api!.call('GET', `/api/projects/${projectId}/contracts`);
    expect(listed.body.contracts.map((c: { consumer: string }) => c.consumer)).toEqual(['coupon-report', 'revenue-dashboard']);
  });

  it.each([
    [{ reads: [] }, 'at least one event'],
    [{ reads: [{ event: 'Order Completed', properties: { revenue: 'money' } }] }, 'one of string, number'],
    [{ reads: [{ event: '', properties: {} }] }, 'must not be empty'],
    [{ reads: [{ event: 'X', properties: {} }], extra: 1 }, 'extra'],
  ])('refuses a bad contract %j with 400 naming the rule', async (body, says) => {
    const res = await stack.api!.call('PUT', `/api/projects/${projectId}/contracts/bad-one`, body);
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body.error)).toContain(says);
  });

  it('refuses a consumer name that is not a plain identifier', async () => {
    const res = await stack.api!.call('PUT', `/api/projects/${projectId}/contracts/Bad%20Name`, { reads: [{ event: 'X', properties: {} }] });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_consumer');
  });

  it('`braid schema check --proposed` names the consumers a change would break, before anything is pushed', async () => {
    const breaking = file('breaking.json', orderSchema({ revenue: { type: 'string' }, coupon: { type: 'string' } }));
    const checked = await braid('schema', 'check', '--proposed', `Order Completed=${breaking}`);
    expect(checked.code).toBe(1);
    expect(checked.stderr).toContain('would break consumer revenue-dashboard: "Order Completed".revenue is string, not readable as number');
    expect(checked.stderr).toContain('would break consumer revenue-dashboard: "Order Completed" does not declare "currency"');
    expect(checked.stderr).not.toContain('coupon-report');
    const harmless = file('harmless.json', orderSchema({ revenue: { type: 'number' }, currency: { type: 'string' }, coupon: { type: 'string' }, note: { type: 'string' } }));
    expect(await braid('schema', 'check', '--proposed', `Order Completed=${harmless}`)).toMatchObject({ code: 0, stderr: expect.stringContaining('breaks no registered consumer') });
  });

  it('refuses a breaking push with 409 naming the consumer; with force it goes through and the audit log keeps that it was forced', async () => {
    const breaking = { schema: orderSchema({ revenue: { type: 'number' }, coupon: { type: 'string' } }), newModel: true };
    const refused = await stack.api!.call('PUT', `/api/projects/${projectId}/schemas/Order%20Completed`, breaking);
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: 'breaks_consumers', message: expect.stringContaining('revenue-dashboard'), details: { consumers: ['revenue-dashboard'] } });
    expect(await braid('contract', 'verify', 'revenue-dashboard')).toMatchObject({ code: 0 });

    const forced = await stack.api!.call('PUT', `/api/projects/${projectId}/schemas/Order%20Completed`, { ...breaking, force: true });
    expect(forced.status).toBe(201);
    expect(forced.body.brokenConsumers).toEqual(['revenue-dashboard']);
    let audit: { details: { body: { force?: boolean }; status: number } }[] = [];
    for (let i = 0; i < 50 && audit.length === 0; i += 1) {
      audit = (
        await stack.pool.query(`SELECT details FROM analytics.audit_log WHERE project_id = $1 AND action = 'PUT /api/projects/:p/schemas/:event' AND (details->'body'->>'force')::boolean`, [projectId])
      ).rows;
      if (audit.length === 0) await sleep(100);
    }
    expect(audit.map((a) => [a.details.status, a.details.body.force])).toEqual([[201, true]]);
  });

  it('`braid contract verify` fails the consumer whose reads the registry no longer serves, and passes the other', async () => {
    const broken = await braid('contract', 'verify', 'revenue-dashboard');
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain('revenue-dashboard: "Order Completed" does not declare "currency" (property_not_declared)');
    expect(await braid('contract', 'verify', 'coupon-report')).toMatchObject({ code: 0 });
    expect(await braid('contract', 'verify', 'nobody')).toMatchObject({ code: 2, stderr: expect.stringContaining('not_found') });
  });
});
