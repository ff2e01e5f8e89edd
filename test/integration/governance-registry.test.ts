import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawSubject } from '../../contracts/wire';
import { grantAnalystProject } from '../../db/analyst-access';
import { msgId, track } from '../support/events';
import { startStack, uniqueId, type Stack } from '../support/stack';

const run = promisify(execFile);
const repoRoot = resolve(__dirname, '..', '..');
const braid = join(repoRoot, 'bin', 'braid.js');

const order = {
  type: 'object',
  properties: { orderId: { type: 'string' }, total: { type: 'number', minimum: 0 }, coupon: { type: ['string', 'null'] } },
  required: ['orderId'],
};
const withProps = (properties: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ ...order, properties: { ...order.properties, ...properties }, ...extra });

/** The schema registry through the operator API and the CLI, on the real services. */
describe('schema registry', () => {
  const projectId = uniqueId('reg');
  let stack: Stack;
  let api: NonNullable<Stack['api']>;
  const schemas = (event: string, tail = '') => `/api/projects/${projectId}/schemas/${encodeURIComponent(event)}${tail}`;

  beforeAll(async () => {
    stack = await startStack({ projects: [{ projectId, name: 'registry', namingConvention: 'any' }], api: true });
    api = stack.api!;
  });
  afterAll(async () => {
    await stack?.stop();
  });

  describe('compatibility rules on push', () => {
    const event = 'Order Completed';

    it('a first version is 1-0-0 and the same schema again changes nothing', async () => {
      const first = await api.call('PUT', schemas(event), { schema: order, comment: 'from the tracking plan sheet' });
      expect(first.status).toBe(201);
      expect(first.body).toMatchObject({ event, version: '1-0-0', change: 'initial', changed: true, summary: 'first version: 3 properties (1 required)' });
      const again = await api.call('PUT', schemas(event), { schema: order });
      expect(again.status).toBe(200);
      expect(again.body).toEqual({ projectId, event, version: '1-0-0', changed: false });
    });

    it('accepts a compatible change as an ADDITION or REVISION', async () => {
      const added = await api.call('PUT', schemas(event), { schema: withProps({ currency: { type: 'string' } }) });
      expect(added.status).toBe(201);
      expect(added.body).toMatchObject({ version: '1-0-1', previousVersion: '1-0-0', change: 'addition', summary: 'properties.currency added (optional)' });
      const widened = await api.call('PUT', schemas(event), { schema: withProps({ currency: { type: 'string' }, total: { type: 'number' } }) });
      expect(widened.status).toBe(201);
      expect(widened.body).toMatchObject({ version: '1-1-0', change: 'revision', summary: 'properties.total: minimum removed' });
    });

    const current = withProps({ currency: { type: 'string' }, total: { type: 'number' } });
    it.each([
      { label: 'a removed property', schema: { ...current, properties: { orderId: { type: 'string' }, total: { type: 'number' }, currency: { type: 'string' } } }, rule: 'property_removed', path: 'properties.coupon' },
      { label: 'a new required property', schema: { ...current, properties: { ...current.properties, channel: { type: 'string' } }, required: ['orderId', 'channel'] }, rule: 'required_added', path: 'properties.channel' },
      { label: 'a narrowed type', schema: { ...current, properties: { ...current.properties, total: { type: 'integer' } } }, rule: 'type_narrowed', path: 'properties.total' },
      { label: 'closed properties', schema: { ...current, additionalProperties: false }, rule: 'additional_properties_closed', path: 'properties' },
    ])('refuses $label, and changes nothing', async ({ schema, rule, path }) => {
      const res = await api.call('PUT', schemas(event), { schema });
      expect(res.status).toBe(409);
      expect(res.body.error).toMatchObject({ code: 'incompatible_schema', details: [expect.objectContaining({ rule, path })] });
      expect(res.body.error.message).toContain('2-0-0');
      expect((await api.call('GET', schemas(event))).body.version).toBe('1-1-0');
    });

    it('accepts the incompatible change as a new MODEL, and keeps every change in the changelog', async () => {
      const schema = { ...current, properties: { ...current.properties, total: { type: 'integer' } } };
      const res = await api.call('PUT', schemas(event), { schema, newModel: true, comment: 'cents now' });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ version: '2-0-0', previousVersion: '1-1-0', change: 'model', summary: 'properties.total: type narrowed from number to integer' });

      const history = await api.call('GET', schemas(event, '/history'));
      expect(history.status).toBe(200);
      expect(history.body.current).toBe('2-0-0');
      expect(history.body.versions.map((v: { version: string }) => v.version)).toEqual(['2-0-0', '1-1-0', '1-0-1', '1-0-0']);
      const tokenName = `test admin ${stack.taskQueue}`;
      expect(history.body.changelog).toEqual([
        expect.objectContaining({ version: '2-0-0', previousVersion: '1-1-0', change: 'model', author: tokenName, comment: 'cents now', diff: [expect.objectContaining({ change: 'type_narrowed', kind: 'model' })] }),
        expect.objectContaining({ version: '1-1-0', change: 'revision', author: tokenName }),
        expect.objectContaining({ version: '1-0-1', change: 'addition', author: tokenName }),
        expect.objectContaining({ version: '1-0-0', previousVersion: null, change: 'initial', author: tokenName, comment: 'from the tracking plan sheet' }),
      ]);
      for (const row of history.body.changelog) expect(Date.parse(row.changedAt)).not.toBeNaN();
      const rows = await stack.pool.query(`SELECT change, summary FROM analytics.schema_changelog WHERE project_id = $1 AND event = $2 ORDER BY changed_at`, [projectId, event]);
      expect(rows.rows.map((r) => r.change)).toEqual(['initial', 'addition', 'revision', 'model']);
    });

    it('serves the current version, an older one, and 404 for a version that does not exist', async () => {
      expect((await api.call('GET', schemas(event))).body).toMatchObject({ version: '2-0-0', target: 'properties', schema: { properties: { total: { type: 'integer' } } } });
      expect((await api.call('GET', schemas(event, '?version=1-0-0'))).body.schema).toEqual(order);
      const missing = await api.call('GET', schemas(event, '?version=7-0-0'));
      expect(missing.status).toBe(404);
      expect(missing.body.error.code).toBe('not_found');
      const list = await api.call('GET', `/api/projects/${projectId}/schemas`);
      expect(list.body.schemas).toEqual([expect.objectContaining({ event, version: '2-0-0', target: 'properties' })]);
    });
  });

  describe('bad input', () => {
    it.each([
      { label: 'an unknown type', schema: { properties: { total: { type: 'money' } } }, message: 'allowed values' },
      { label: 'a misspelt keyword', schema: { properties: { total: { type: 'number' } }, requried: ['total'] }, message: 'unknown keyword' },
      { label: 'a broken pattern', schema: { properties: { sku: { type: 'string', pattern: '[a-' } } }, message: 'Invalid regular expression' },
    ])('refuses an invalid JSON Schema ($label) with the schema error', async ({ schema, message }) => {
      const res = await api.call('PUT', schemas('Cart Viewed'), { schema });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('invalid_schema');
      expect(res.body.error.message).toContain(message);
      expect((await api.call('GET', schemas('Cart Viewed'))).status).toBe(404);
    });

    it('refuses a schema no event could satisfy as incompatible', async () => {
      const res = await api.call('PUT', schemas('Cart Viewed'), { schema: { type: 'array' } });
      expect(res.status).toBe(409);
      expect(res.body.error).toMatchObject({ code: 'incompatible_schema', details: [expect.objectContaining({ rule: 'rejects_every_event' })] });
    });

    it('refuses a first schema that every existing event of that name fails, unless forced', async () => {
      const n = 4;
      for (let i = 0; i < n; i++) await stack.publish(rawSubject(projectId, 'web'), track({ event: 'Signup Completed', anonymousId: `anon-${i}`, properties: { plan: 'pro' } }));
      await stack.drained(projectId, n);
      const strict = { properties: { plan: { type: 'string' }, referrer: { type: 'string' } }, required: ['referrer'] };
      const res = await api.call('PUT', schemas('Signup Completed'), { schema: strict });
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe('incompatible_schema');
      expect(res.body.error.message).toContain(`every one of the ${n} most recent Signup Completed events`);
      // A schema some of them pass is fine, and so is a forced one.
      expect((await api.call('PUT', schemas('Signup Completed'), { schema: { properties: { plan: { enum: ['pro'] } } } })).status).toBe(201);
      const forced = await api.call('PUT', schemas('Signup Completed'), { schema: strict, newModel: true, force: true });
      expect(forced.status).toBe(201);
      expect(forced.body.version).toBe('2-0-0');
    });

    it.each([
      { label: 'a malformed version', body: { schema: order, version: 'v1' }, status: 400, code: 'invalid_version' },
      { label: 'an unknown field', body: { schema: order, strict: true }, status: 400, code: 'invalid_request' },
      { label: 'no schema', body: {}, status: 400, code: 'invalid_request' },
    ])('refuses $label', async ({ body, status, code }) => {
      const res = await api.call('PUT', schemas('Product Viewed'), body);
      expect(res.status).toBe(status);
      expect(res.body.error.code).toBe(code);
    });

    it.each([
      { label: 'an unknown reserved key', key: '$page', status: 400, code: 'invalid_event_name' },
      { label: 'a name with a control character', key: 'Order\u0001Completed', status: 400, code: 'invalid_event_name' },
      { label: 'a blank name', key: '  ', status: 400, code: 'invalid_event_name' },
    ])('refuses $label as an event name', async ({ key, status, code }) => {
      const res = await api.call('PUT', schemas(key), { schema: {} });
      expect(res.status).toBe(status);
      expect(res.body.error.code).toBe(code);
    });

    it('refuses pushes to an unknown project, and pushes by analysts', async () => {
      const unknown = await api.call('PUT', `/api/projects/${projectId}-nope/schemas/X`, { schema: {} });
      expect(unknown.status).toBe(404);
      expect(unknown.body.error.code).toBe('unknown_project');
      // An analyst token reads the projects granted to the Postgres role named like it.
      const name = `analyst_${projectId}`;
      const analyst = (await api.call('POST', '/api/tokens', { name, role: 'analyst' })).body.token as string;
      const res = await api.call('PUT', schemas('Product Viewed'), { schema: {} }, analyst);
      expect(res.status).toBe(403);
      expect((await api.call('GET', `/api/projects/${projectId}/schemas`, undefined, analyst)).status).toBe(404);
      await grantAnalystProject(stack.pool, name, projectId);
      expect((await api.call('GET', `/api/projects/${projectId}/schemas`, undefined, analyst)).status).toBe(200);
    });

    it('warns about an event name that differs from a planned one only in case or separators', async () => {
      const res = await api.call('PUT', schemas('order_completed'), { schema: {} });
      expect(res.status).toBe(201);
      expect(res.body.warnings).toEqual([{ code: 'probable_duplicate_name', message: expect.stringContaining('"order_completed" and "Order Completed"') }]);
    });

    it('takes event names with spaces, slashes and the $identify traits key', async () => {
      for (const key of ['Checkout Step/2 Viewed', '$identify']) {
        const res = await api.call('PUT', schemas(key), { schema: { properties: { email: { type: 'string' } } } });
        expect(res.status).toBe(201);
        expect((await api.call('GET', schemas(key))).body).toMatchObject({ event: key, version: '1-0-0', target: key === '$identify' ? 'traits' : 'properties' });
      }
    });
  });

  describe('POST /schemas/check and `braid schema check`', () => {
    const checkProject = uniqueId('chk');
    let dir: string;
    let env: NodeJS.ProcessEnv;
    const good = (fields: Record<string, unknown> = {}) => JSON.stringify({ type: 'track', messageId: msgId('c'), anonymousId: 'a-1', event: 'Order Completed', properties: { orderId: 'o-1', total: 5 }, ...fields });

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'braid-schema-check-'));
      env = { ...process.env, BRAID_API_URL: api.url, BRAID_TOKEN: api.adminToken };
      const created = await api.call('POST', '/api/projects', {
        projectId: checkProject,
        name: 'check',
        trackingPlan: { unplannedEvents: 'block', unplannedProperties: 'flag', namingViolations: 'flag', schemaViolations: 'block' },
      });
      expect(created.status).toBe(201);
      expect((await api.call('PUT', `/api/projects/${checkProject}/schemas/Order%20Completed`, { schema: order })).status).toBe(201);
    });

    it('the API reports problems by line, broken lines included', async () => {
      const ndjson = [good(), '{"type": "track", "messageId": ', '', good({ properties: { orderId: 1 } }), good({ properties: { orderId: 'o', gift: true } }), good({ event: 'Cart Viewed' })].join('\n');
      const res = await api.call('POST', `/api/projects/${checkProject}/schemas/check`, { ndjson });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ checked: 5, passed: 1, flagged: 1, rejected: 3, channel: 'web' });
      expect(res.body.problems.map((p: { line: number; outcome: string; reason: string | null }) => [p.line, p.outcome, p.reason])).toEqual([
        [2, 'rejected', 'invalid_json'],
        [4, 'rejected', 'schema_violation'],
        [5, 'flagged', null],
        [6, 'rejected', 'unplanned_event'],
      ]);
      expect(res.body.problems[1].violations).toEqual([expect.objectContaining({ rule: 'schema_violation', path: 'properties.orderId', policy: 'block' })]);
      expect(res.body.problems[2].violations).toEqual([expect.objectContaining({ rule: 'unplanned_property', path: 'properties.gift', policy: 'flag' })]);
      // Nothing was written: a check is offline.
      expect((await stack.pool.query('SELECT count(*)::int AS n FROM braid.receipts WHERE project_id = $1', [checkProject])).rows[0].n).toBe(0);
    });

    it('exits 0 when every event passes', async () => {
      const file = join(dir, 'ok.ndjson');
      writeFileSync(file, `${good()}\n${good({ properties: { orderId: 'o-2', coupon: null } })}\n`);
      const ok = await run(process.execPath, [braid, 'schema', 'check', file, '-p', checkProject], { env });
      expect(ok.stdout).toContain(`checked 2 events against ${checkProject}/web: 2 passed, 0 flagged, 0 rejected`);
    });

    it('exits 1 with a readable list of violations, broken lines by line number', async () => {
      const file = join(dir, 'events.ndjson');
      writeFileSync(file, [good(), 'not json at all', good({ properties: { orderId: 7 } }), good({ properties: { orderId: 'o', gift: 1 } })].join('\n'));
      const failed = await run(process.execPath, [braid, 'schema', 'check', file, '-p', checkProject], { env }).catch((e) => e);
      expect(failed.code).toBe(1);
      expect(failed.stdout).toContain(`${file}:2: rejected (invalid_json)`);
      expect(failed.stdout).toContain(`${file}:3: rejected (schema_violation) "Order Completed"`);
      expect(failed.stdout).toContain('schema_violation at properties.orderId: properties.orderId must be string (Order Completed 1-0-0) [block]');
      expect(failed.stdout).toContain(`${file}:4: flagged "Order Completed"`);
      expect(failed.stdout).toContain('checked 4 events');
      expect(failed.stdout).not.toContain(`${file}:1:`);
    });

    it('keeps line numbers across a file sent in several parts', async () => {
      const file = join(dir, 'big.ndjson');
      const lines = Array.from({ length: 2_500 }, (_, i) => (i + 1 === 2_400 ? '{broken' : good()));
      writeFileSync(file, `${lines.join('\n')}\n`);
      const res = await run(process.execPath, [braid, 'schema', 'check', file, '-p', checkProject, '--json'], { env }).catch((e) => e);
      expect(res.code).toBe(1);
      const result = JSON.parse(res.stdout);
      expect(result).toMatchObject({ checked: 2_500, passed: 2_499, rejected: 1 });
      expect(result.problems).toEqual([expect.objectContaining({ line: 2_400, reason: 'invalid_json' })]);
    });

    it('--fail-on block passes flagged events, and --json prints the result', async () => {
      const file = join(dir, 'flagged.ndjson');
      writeFileSync(file, `${good({ properties: { orderId: 'o', gift: 1 } })}\n`);
      const res = await run(process.execPath, [braid, 'schema', 'check', file, '-p', checkProject, '--fail-on', 'block', '--json'], { env });
      expect(JSON.parse(res.stdout)).toMatchObject({ checked: 1, flagged: 1, rejected: 0 });
      const strict = await run(process.execPath, [braid, 'schema', 'check', file, '-p', checkProject], { env }).catch((e) => e);
      expect(strict.code).toBe(1);
    });

    it('exits 2 on an unknown project or an unreadable file', async () => {
      const file = join(dir, 'ok2.ndjson');
      writeFileSync(file, `${good()}\n`);
      const unknown = await run(process.execPath, [braid, 'schema', 'check', file, '-p', `${checkProject}-nope`], { env }).catch((e) => e);
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toContain('unknown_project');
      const missing = await run(process.execPath, [braid, 'schema', 'check', join(dir, 'missing.ndjson'), '-p', checkProject], { env }).catch((e) => e);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain('cannot read');
    });

    it('`braid schema push` refuses an incompatible change (exit 2) and takes it as a new MODEL', async () => {
      const file = join(dir, 'narrowed.json');
      writeFileSync(file, JSON.stringify({ ...order, required: ['orderId', 'total'] }));
      const refused = await run(process.execPath, [braid, 'schema', 'push', checkProject, 'Order Completed', file], { env }).catch((e) => e);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain('incompatible_schema');
      expect(refused.stderr).toContain('properties.total: properties.total is now required');
      const pushed = await run(process.execPath, [braid, 'schema', 'push', checkProject, 'Order Completed', file, '--new-model'], { env });
      expect(pushed.stdout).toContain('Order Completed 2-0-0 (model): properties.total is now required');
      const history = await run(process.execPath, [braid, 'schema', 'history', checkProject, 'Order Completed', '--json'], { env });
      expect(JSON.parse(history.stdout).changelog.map((c: { version: string }) => c.version)).toEqual(['2-0-0', '1-0-0']);
    });
  });
});
