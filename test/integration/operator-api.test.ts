import { sumSamples } from '../../runtime/metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken } from '../../db/api-tokens';
import { rawSubject } from '../../contracts/wire';
import { track } from '../support/events';
import { startStack, uniqueId, type Stack } from '../support/stack';

/** The operator API on the real services: auth, errors in the contract's shape, projects and keys, health. */
describe('operator API', () => {
  const projectId = uniqueId('api');
  let stack: Stack;
  let api: NonNullable<Stack['api']>;

  beforeAll(async () => {
    stack = await startStack({ projects: [], api: true });
    api = stack.api!;
  });
  afterAll(async () => {
    await stack?.stop();
  });

  describe('authentication and roles', () => {
    it.each([
      { label: 'no token', token: null, status: 401, code: 'unauthorized' },
      { label: 'a malformed header', token: '', status: 401, code: 'unauthorized' },
      { label: 'an unknown token', token: 'brd_not-a-real-token', status: 401, code: 'invalid_token' },
    ])('$label → $status $code', async ({ token, status, code }) => {
      const res = token === '' ? await rawCall(api.url, 'Basic abc') : await api.call('GET', '/api/replays/rp_0000', undefined, token);
      expect(res.status).toBe(status);
      expect(res.body).toEqual({ error: { code, message: expect.any(String) } });
    });

    it('refuses an expired token and a revoked one', async () => {
      const expired = await createToken(stack.pool, { name: 'old', role: 'admin', expiresAt: new Date(Date.now() - 1000) });
      expect((await api.call('GET', '/api/replays/rp_0000', undefined, expired.token)).body.error.code).toBe('token_expired');
      const made = await api.call('POST', '/api/tokens', { name: 'short-lived', role: 'operator' });
      expect(made.status).toBe(201);
      expect((await api.call('DELETE', `/api/tokens/${made.body.tokenId}`)).status).toBe(200);
      expect((await api.call('GET', '/api/replays/rp_0000', undefined, made.body.token)).body.error.code).toBe('token_revoked');
    });

    it('refuses an analyst token on an operator route, and changes nothing', async () => {
      const analyst = (await api.call('POST', '/api/tokens', { name: 'analyst', role: 'analyst' })).body.token as string;
      const res = await api.call('POST', '/api/projects', { projectId: `${projectId}x`, name: 'x' }, analyst);
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('forbidden');
      expect((await api.call('GET', `/api/projects/${projectId}x`)).status).toBe(404);
    });

    it('stores tokens hashed', async () => {
      const made = (await api.call('POST', '/api/tokens', { name: 'hashed?', role: 'analyst' })).body.token as string;
      const rows = await stack.pool.query(`SELECT count(*)::int AS n FROM braid.api_tokens WHERE token_hash = $1 OR name = $1`, [made]);
      expect(rows.rows[0].n).toBe(0);
    });
  });

  describe('projects and write keys', () => {
    it('creates a project with one write key per channel, shown once and stored hashed', async () => {
      const res = await api.call('POST', '/api/projects', { projectId, name: 'API test', consentMode: 'opt-in', channels: ['web', 'backend'] });
      expect(res.status).toBe(201);
      expect(res.body.projectId).toBe(projectId);
      expect(Object.keys(res.body.writeKeys).sort()).toEqual(['backend', 'web']);
      const keys = Object.values(res.body.writeKeys) as string[];
      const stored = await stack.pool.query(`SELECT key_hash FROM braid.write_keys WHERE project_id = $1`, [projectId]);
      expect(stored.rows).toHaveLength(2);
      for (const key of keys) expect(stored.rows.map((r) => r.key_hash)).not.toContain(key);
      const got = await api.call('GET', `/api/projects/${projectId}`);
      expect(got.body).toMatchObject({ projectId, consentMode: 'opt-in', channels: ['web', 'backend'], sessionTimeoutMinutes: 30 });
      expect(JSON.stringify(got.body)).not.toContain(keys[0]);
    });

    it('refuses a second project with the same id', async () => {
      const res = await api.call('POST', '/api/projects', { projectId, name: 'again' });
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe('project_exists');
    });

    it.each([
      { label: 'a bad project id', body: { projectId: 'Not Valid', name: 'x' }, path: 'projectId' },
      { label: 'an unknown consent mode', body: { projectId: 'okid', name: 'x', consentMode: 'maybe' }, path: 'consentMode' },
      { label: 'an unknown field', body: { projectId: 'okid', name: 'x', colour: 'red' }, path: '(root)' },
      { label: 'a bad channel name', body: { projectId: 'okid', name: 'x', channels: ['Web TV'] }, path: 'channels.0' },
    ])('answers 400 naming the field for $label', async ({ body, path }) => {
      const res = await api.call('POST', '/api/projects', body);
      expect(res.status).toBe(400);
      expect(res.body.error.details.map((d: { path: string }) => d.path)).toContain(path);
      expect((await api.call('GET', '/api/projects/okid')).status).toBe(404);
    });

    it('answers 400 invalid_json for a body that is not JSON', async () => {
      const res = await api.call('POST', '/api/projects', '{"projectId": ');
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('invalid_json');
    });

    it('changes settings with PATCH and gives a new channel its write key', async () => {
      const res = await api.call('PATCH', `/api/projects/${projectId}`, { channels: ['web', 'backend', 'kiosk'], sessionTimeoutMinutes: 45 });
      expect(res.status).toBe(200);
      // Settings the patch does not name keep their values (consentMode was created opt-in).
      expect(res.body).toMatchObject({ channels: ['web', 'backend', 'kiosk'], sessionTimeoutMinutes: 45, consentMode: 'opt-in' });
      expect(Object.keys(res.body.newWriteKeys)).toEqual(['kiosk']);
      expect((await api.call('GET', `/api/projects/${projectId}`)).body).toMatchObject({ consentMode: 'opt-in', channels: ['web', 'backend', 'kiosk'] });
      expect((await api.call('PATCH', `/api/projects/${projectId}`, { sessionTimeoutMinutes: -1 })).status).toBe(400);
      expect((await api.call('PATCH', '/api/projects/nope-nope', { sessionTimeoutMinutes: 10 })).status).toBe(404);
    });

    it('accepts events for a project created through the API right away', async () => {
      const ingestStack = await startStack({ projects: [] , extraFilters: [`braid.raw.${projectId}.>`] });
      try {
        // The project is opt-in (and a PATCH of other settings keeps it so): the event carries its consent.
        await ingestStack.publish(rawSubject(projectId, 'web'), track({ context: { consent: { categoryPreferences: { analytics: true } } } }));
        expect(await ingestStack.drained(projectId, 1)).toMatchObject({ canonical: 1, rejected: 0 });
      } finally {
        await ingestStack.stop();
      }
    });
  });

  describe('errors, health, metrics, OpenAPI', () => {
    it.each([
      { label: 'from after to', body: { from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z', target: 'sandbox' }, status: 400, code: 'invalid_range' },
      { label: 'an unknown project', body: { projectId: 'no-such-project', from: '2026-01-01T00:00:00Z', to: '2026-02-01T00:00:00Z', target: 'sandbox' }, status: 404, code: 'unknown_project' },
      { label: 'a time without offset', body: { from: '2026-01-01', to: '2026-02-01T00:00:00Z', target: 'sandbox' }, status: 400, code: 'invalid_request' },
      { label: 'an unknown target', body: { from: '2026-01-01T00:00:00Z', to: '2026-02-01T00:00:00Z', target: 'staging' }, status: 400, code: 'invalid_request' },
      { label: 'an unregistered channel', body: { from: '2026-01-01T00:00:00Z', to: '2026-02-01T00:00:00Z', target: 'sandbox', channels: ['tv'] }, status: 400, code: 'unknown_channel' },
    ])('POST /api/replays with $label → $status $code, and nothing starts', async ({ body, status, code }) => {
      const before = await stack.pool.query(`SELECT count(*)::int AS n FROM braid.operations`);
      const res = await api.call('POST', '/api/replays', { projectId, ...body });
      expect(res.status).toBe(status);
      expect(res.body.error.code).toBe(code);
      const after = await stack.pool.query(`SELECT count(*)::int AS n FROM braid.operations`);
      expect(after.rows[0].n).toBe(before.rows[0].n);
    });

    it.each([
      { label: 'a missing file', source: '/nonexistent/events.jsonl', code: 'source_unreadable' },
      { label: 'a directory', source: '/', code: 'source_unreadable' },
    ])('POST /api/backfills with $label → 400 $code', async ({ source, code }) => {
      const res = await api.call('POST', '/api/backfills', { projectId, source, channel: 'web' });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe(code);
    });

    it('answers unknown routes and unknown operations with 404 in the error shape', async () => {
      expect((await api.call('GET', '/api/nothing-here')).body).toEqual({ error: { code: 'not_found', message: expect.any(String) } });
      expect((await api.call('GET', '/api/replays/rp_doesnotexist')).status).toBe(404);
      expect((await api.call('GET', "/api/replays/x'; drop table braid.operations; --")).status).toBe(404);
    });

    it('is alive and ready with Postgres, NATS and Temporal up', async () => {
      expect((await api.call('GET', '/healthz', undefined, null)).body).toEqual({ status: 'ok' });
      const ready = await api.call('GET', '/readyz', undefined, null);
      expect(ready.status).toBe(200);
      expect(ready.body.checks.map((c: { name: string; ok: boolean }) => [c.name, c.ok])).toEqual([
        ['postgres', true],
        ['nats', true],
        ['temporal', true],
      ]);
    });

    it('serves Prometheus metrics counted in memory: messages by outcome, events written, stage latencies, pool use and consumer lag', async () => {
      const res = await api.call('GET', '/metrics', undefined, null);
      expect(res.status).toBe(200);
      const view = await stack.pool.query(`SELECT accepted, canonical FROM analytics.accounting WHERE project_id = $1`, [projectId]);
      expect(view.rows[0]).toMatchObject({ accepted: 1, canonical: 1 });
      // This file's ingest and worker run in this process: the API's /metrics has their counts, equal to the view's.
      expect(sumSamples(res.body, 'braid_ingest_messages_total', { project: projectId, outcome: 'accepted' })).toBe(1);
      expect(sumSamples(res.body, 'braid_worker_events_total', { project: projectId, outcome: 'written' })).toBe(1);
      expect(sumSamples(res.body, 'braid_stage_latency_seconds_count', { stage: 'publish_to_queryable' })).toBeGreaterThanOrEqual(1);
      expect(sumSamples(res.body, 'braid_http_request_duration_seconds_count', { route: '/api/projects' })).toBeGreaterThanOrEqual(1);
      expect(res.body).toContain('braid_ingest_consumer_pending{consumer=');
    });

    it('serves an OpenAPI document of the routes', async () => {
      const doc = (await api.call('GET', '/api/openapi.json', undefined, null)).body;
      expect(doc.openapi).toBe('3.1.0');
      expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/projects', '/api/replays', '/api/replays/{id}', '/api/replays/{id}/pause', '/api/backfills']));
      expect(doc.paths['/api/replays'].post.requestBody.content['application/json'].schema.properties.target.enum).toEqual(['production', 'sandbox']);
    });
  });
});

async function rawCall(url: string, authorization: string) {
  const res = await fetch(`${url}/api/replays/rp_0000`, { headers: { authorization } });
  return { status: res.status, body: await res.json() };
}
