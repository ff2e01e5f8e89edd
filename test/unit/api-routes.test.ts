import { Writable } from 'node:stream';
import Fastify from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { checkRoles } from '../../api/auth';
import { buildApi } from '../../api/server';
import { createLogger } from '../../runtime/logger';

/**
 * The API's wiring without the services behind it: a pool that knows one
 * token per role and fails every other query, a NATS connection that is never
 * used. What is checked happens before any handler runs: roles, validation,
 * the error shape, the OpenAPI document.
 */
const roles = { 'brd_admin-token': 'admin', 'brd_analyst-token': 'analyst' } as const;
const fakePool = {
  async query(sql: string, params: unknown[]) {
    if (sql.includes('braid.api_tokens')) {
      const { hashSecret } = await import('../../db/secrets');
      const hit = Object.entries(roles).find(([token]) => hashSecret(token) === params[0]);
      return { rows: hit ? [{ token_id: 'tok_1', name: hit[1], role: hit[1], expires_at: null, revoked_at: null }] : [] };
    }
    throw new Error('no database in this test');
  },
};
const fakeNats = { jetstream: () => ({}), isClosed: () => false, status: () => (async function* () {})(), subscribe: () => ({ unsubscribe: () => undefined }) };

describe('the API before its handlers', () => {
  const app = buildApi({ pool: fakePool as never, nc: fakeNats as never, temporal: {} as never, taskQueue: 'unit', log: createLogger('silent', 'unit') });
  beforeAll(() => app.ready());
  afterAll(() => app.close());

  const call = (method: 'GET' | 'POST' | 'PUT', url: string, options: { body?: unknown; token?: string | null } = {}) =>
    app.inject({
      method,
      url,
      headers: options.token === null ? {} : { authorization: `Bearer ${options.token ?? 'brd_admin-token'}` },
      ...(options.body === undefined ? {} : { payload: options.body as object }),
    });

  it.each([
    { label: 'no token', token: null, status: 401, code: 'unauthorized' },
    { label: 'an unknown token', token: 'brd_nobody', status: 401, code: 'invalid_token' },
    { label: 'an analyst token on an operator route', token: 'brd_analyst-token', status: 403, code: 'forbidden' },
  ])('checks roles before the body: $label → $status $code, even for an invalid body', async ({ token, status, code }) => {
    const res = await call('POST', '/api/projects', { body: { projectId: 'Not Valid' }, token });
    expect(res.statusCode).toBe(status);
    expect(res.json()).toEqual({ error: { code, message: expect.any(String) } });
  });

  it.each([
    {
      label: 'a bad field',
      url: '/api/projects',
      body: { projectId: 'Not Valid', name: 'x' },
      code: 'invalid_request',
      message: /^request body: projectId: /,
      details: [{ path: 'projectId', rule: 'invalid_format', message: expect.any(String) }],
    },
    {
      label: 'an unknown field',
      url: '/api/projects',
      body: { projectId: 'okid', name: 'x', colour: 'red' },
      code: 'invalid_request',
      message: /^request body: \(root\): /,
      details: [{ path: '(root)', rule: 'unrecognized_keys', message: expect.stringContaining('colour') }],
    },
    {
      label: 'no body at all (read as {})',
      url: '/api/projects',
      body: undefined,
      code: 'invalid_request',
      message: /^request body: projectId: /,
      details: [expect.objectContaining({ path: 'projectId' }), expect.objectContaining({ path: 'name' })],
    },
    {
      label: "a rule's own code",
      url: '/api/replays',
      body: { projectId: 'p', from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z', target: 'sandbox' },
      code: 'invalid_range',
      message: /^request body: from: /,
      details: [{ path: 'from', rule: 'custom', message: '`from` must be before `to`' }],
    },
    {
      label: 'a nested field',
      url: '/api/consent',
      body: { projectId: 'p', userId: 'u', categories: { analytics: 'yes' } },
      code: 'invalid_request',
      message: /^request body: categories\.analytics: /,
      details: [{ path: 'categories.analytics', rule: 'invalid_type', message: 'true (granted) or false (denied)' }],
    },
  ])('answers 400 naming the field and the rule for $label', async ({ url, body, code, message, details }) => {
    const res = await call('POST', url, { body });
    expect(res.statusCode).toBe(400);
    const error = res.json().error;
    expect(error).toEqual({ code, message: expect.stringMatching(message), details });
  });

  it.each([
    { query: 'limit=0', path: 'limit', rule: 'too_small' },
    { query: 'limit=lots', path: 'limit', rule: 'invalid_type' },
    { query: 'from=2026-01-01', path: 'from', rule: 'invalid_format' },
  ])('answers 400 naming the query parameter for ?$query', async ({ query, path, rule }) => {
    const res = await call('GET', `/api/persons/p/person-1/journey?${query}`, { token: 'brd_analyst-token' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'invalid_request', message: expect.stringMatching(new RegExp(`^query: ${path}: `)), details: [{ path, rule }] });
  });

  it.each([
    { query: 'steps=A&from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z', path: 'steps', rule: 'too_small' },
    { query: 'steps=A&steps=B&from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z&window=1y', path: 'window', rule: 'custom' },
    { query: 'steps=A&steps=B&from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z', path: 'from', rule: 'custom' },
    { query: 'steps=A&steps=B&from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z&breakdown=device', path: 'breakdown', rule: 'invalid_value' },
  ])('answers 400 naming the funnel parameter for ?$query, before reading the database', async ({ query, path, rule }) => {
    const res = await call('GET', `/api/projects/p/analysis/funnel?${query}`, { token: 'brd_analyst-token' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'invalid_request', message: expect.stringMatching(new RegExp(`^query: ${path}: `)), details: [{ path, rule }] });
  });

  it('answers JSON that does not parse with 400 invalid_json, and an unknown route with 404, in the error shape', async () => {
    const bad = await app.inject({ method: 'POST', url: '/api/projects', headers: { authorization: 'Bearer brd_admin-token', 'content-type': 'application/json' }, payload: '{"projectId": ' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('invalid_json');
    const missing = await call('GET', '/api/nothing-here', { token: null });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ error: { code: 'not_found', message: 'no route GET /api/nothing-here' } });
  });

  it('answers a body over the limit with 413 payload_too_large naming the limit', async () => {
    const res = await call('POST', '/api/projects', { body: { projectId: 'okid', name: 'x'.repeat(1_100_000) } });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toEqual({ error: { code: 'payload_too_large', message: 'the request body is over 1048576 bytes' } });
  });

  describe('GET /api/openapi.json', () => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a JSON document, read field by field
    let doc: any;
    beforeAll(async () => {
      const res = await call('GET', '/api/openapi.json', { token: null });
      expect(res.statusCode).toBe(200);
      doc = res.json();
    });

    it('is OpenAPI 3.1 with the bearer and write-key schemes and one Error component', () => {
      expect(doc.openapi).toBe('3.1.0');
      expect(doc.security).toEqual([{ bearer: [] }]);
      expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(['bearer', 'writeKey']);
      expect(Object.keys(doc.components.schemas)).toEqual(['Error']);
    });

    it('declares every path parameter of every path, and no route without a summary', () => {
      for (const [path, operations] of Object.entries<Record<string, { summary?: string; parameters?: { in: string; name: string }[] }>>(doc.paths)) {
        const inPath = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
        for (const [method, op] of Object.entries(operations)) {
          expect(op.summary, `${method} ${path}`).toEqual(expect.any(String));
          const declared = (op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name).sort();
          expect(declared, `${method} ${path}`).toEqual(inPath);
        }
      }
    });

    it('says who may call each route, and answers errors in the Error shape', () => {
      expect(doc.paths['/healthz'].get.security).toEqual([]);
      expect(doc.paths['/api/replays'].post.description).toBe('Roles: admin, operator');
      expect(doc.paths['/api/replays/{id}'].get.description).toBe('Roles: admin, operator, analyst');
      expect(doc.paths['/v1/batch'].post.security).toEqual([{ writeKey: [] }]);
      expect(doc.paths['/api/projects'].post.responses['409'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/Error' });
      expect(doc.paths['/v1/batch'].post.responses['429'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/Error' });
    });

    it('describes request bodies and query parameters from the zod schemas', () => {
      const replay = doc.paths['/api/replays'].post.requestBody.content['application/json'].schema;
      expect(replay.properties.target.enum).toEqual(['production', 'sandbox']);
      expect(replay.required).toEqual(expect.arrayContaining(['projectId', 'from', 'to', 'target']));
      const query = doc.paths['/api/persons/{p}/{personId}/journey'].get.parameters.filter((p: { in: string }) => p.in === 'query');
      expect(query.map((p: { name: string }) => p.name)).toEqual(['limit', 'from', 'to']);
    });

    it('describes the analysis routes’ query parameters, steps as a repeatable one', () => {
      const params = (path: string) => doc.paths[path].get.parameters.filter((p: { in: string }) => p.in === 'query');
      const funnel = params('/api/projects/{p}/analysis/funnel');
      expect(funnel.map((p: { name: string }) => p.name)).toEqual(['from', 'to', 'steps', 'window', 'breakdown']);
      expect(funnel.find((p: { name: string }) => p.name === 'breakdown').schema.enum).toEqual(['channel', 'platform', 'app_version', 'region']);
      expect(JSON.stringify(funnel.find((p: { name: string }) => p.name === 'steps').schema)).toContain('"type":"array"');
      for (const figure of ['time-to-convert', 'adoption', 'retention', 'active-persons', 'event-names']) {
        expect(doc.paths[`/api/projects/{p}/analysis/${figure}`].get.description, figure).toContain('Roles: admin, operator, analyst');
      }
    });

    it('leaves out its own route and the CORS preflight', () => {
      expect(doc.paths['/api/openapi.json']).toBeUndefined();
      expect(Object.values(doc.paths).some((ops) => 'options' in (ops as object))).toBe(false);
    });
  });
});

describe('checkRoles', () => {
  it('refuses to register a route that declares no roles', async () => {
    const app = Fastify().withTypeProvider<ZodTypeProvider>();
    app.register(async (scope) => {
      checkRoles(scope, fakePool as never);
      scope.get('/api/forgotten', { schema: { querystring: z.object({}) } }, async () => ({ ok: true }));
    });
    await expect(app.ready()).rejects.toThrow('GET /api/forgotten declares no roles (config.roles)');
  });
});

describe('logging', () => {
  it('goes through the pino logger the API is given: a line per request with its id, errors with their stack; the collector and probes only from warn up', async () => {
    const lines: { level: number; name?: string; reqId?: string; msg: string; req?: { url: string }; err?: { message: string } }[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(JSON.parse(String(chunk)));
        done();
      },
    });
    const log = pino({ name: 'braid-api', level: 'info' }, sink);
    const app = buildApi({ pool: fakePool as never, nc: fakeNats as never, temporal: {} as never, taskQueue: 'unit', log });
    try {
      await app.inject({ method: 'GET', url: '/healthz' });
      await app.inject({ method: 'POST', url: '/v1/track', payload: { userId: 'u' } });
      const failed = await app.inject({ method: 'GET', url: '/api/projects/p', headers: { authorization: 'Bearer brd_admin-token' } });
      expect(failed.statusCode).toBe(500);
    } finally {
      await app.close();
    }
    const urls = lines.filter((l) => l.req).map((l) => l.req?.url);
    expect(urls).toEqual(['/api/projects/p']);
    expect(lines.every((l) => l.name === 'braid-api')).toBe(true);
    const error = lines.find((l) => l.level === 50);
    expect(error).toMatchObject({ msg: 'request failed', reqId: expect.any(String), err: { message: 'no database in this test' } });
    expect(lines.find((l) => l.msg === 'request completed')).toMatchObject({ level: 30, reqId: error?.reqId });
  });
});
