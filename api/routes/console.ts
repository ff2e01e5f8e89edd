import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { consentFigures, qualityHours, recentHealth, rejectionsByReason, tailEvents } from '../../db/console-figures';
import { getOperation } from '../../db/operations';
import { sandboxDiff } from '../../db/sandbox';
import { qualityFlags } from '../../rules/quality-flags';
import { mayRead, requireProject } from '../require-project';
import type { ApiDeps } from '../deps';
import { ApiError } from '../errors';
import { pathParams, responses, type ApiApp } from '../typed-routes';

const ANYONE = ['admin', 'operator', 'analyst'] as const;

/** The console's files: its own page, script and style, and Chart.js from its package (no build step). */
const ASSETS: Record<string, { file: string; type: string }> = {
  '/': { file: join(__dirname, '..', 'console', 'index.html'), type: 'text/html; charset=utf-8' },
  '/console/app.js': { file: join(__dirname, '..', 'console', 'app.js'), type: 'text/javascript; charset=utf-8' },
  '/console/style.css': { file: join(__dirname, '..', 'console', 'style.css'), type: 'text/css; charset=utf-8' },
  '/console/chart.umd.min.js': { file: join(dirname(require.resolve('chart.js')), 'chart.umd.min.js'), type: 'text/javascript; charset=utf-8' },
};

/**
 * The operator console (contract §6: `GET /` serves it; sign-in with a braid
 * token) and the figures it draws: who the token is, a project's ingestion
 * health per minute, and its rejections by reason with samples. Replays and
 * backfills come from /api/operations and their pause/resume/cancel routes.
 * A project's figures are for tokens that may read it (an analyst token: its
 * granted projects, api/require-project.ts).
 */
export function consoleRoutes(app: ApiApp, deps: ApiDeps): void {
  for (const [url, asset] of Object.entries(ASSETS)) {
    const body = readFileSync(asset.file);
    app.route({
      method: 'GET',
      url,
      logLevel: 'warn',
      config: { roles: 'public' },
      schema: { summary: url === '/' ? 'The operator console (HTML; sign in with a braid token)' : 'A console asset', hide: url !== '/' },
      handler: async (_request, reply) => {
        reply.header('content-type', asset.type).header('cache-control', 'no-cache');
        return reply.send(body);
      },
    });
  }

  app.route({
    method: 'GET',
    url: '/api/whoami',
    config: { roles: ANYONE },
    schema: { summary: "The token's name and role (what the console may show)", response: responses({ 200: 'identity' }) },
    handler: async ({ identity }) => ({ name: identity?.name ?? null, role: identity?.role ?? null }),
  });

  app.route({
    method: 'GET',
    url: '/api/projects/:p/health',
    config: { roles: ANYONE },
    schema: {
      summary: "A project's ingestion health per minute (analytics.ingestion_health), oldest first",
      params: pathParams('p'),
      querystring: z.object({ minutes: z.coerce.number().int().min(1).max(7 * 24 * 60).default(60) }),
      response: responses({ 200: 'minutes', 404: 'unknown project' }),
    },
    handler: async ({ params, query }) => {
      await requireProject(deps.pool, params.p as string);
      return { projectId: params.p, minutes: await recentHealth(deps.pool, params.p as string, query.minutes) };
    },
  });

  app.route({
    method: 'GET',
    url: '/api/projects/:p/rejections',
    config: { roles: ANYONE },
    schema: {
      summary: "A project's unresolved rejections by reason, most frequent first, with the newest samples of each",
      params: pathParams('p'),
      response: responses({ 200: 'reasons', 404: 'unknown project' }),
    },
    handler: async ({ params }) => {
      await requireProject(deps.pool, params.p as string);
      return { projectId: params.p, reasons: await rejectionsByReason(deps.pool, params.p as string) };
    },
  });

  app.route({
    method: 'GET',
    url: '/api/projects/:p/tail-events',
    config: { roles: ANYONE },
    schema: {
      summary: 'The slowest and the latest-arriving events received in the last minutes, with the lineage of their first write',
      params: pathParams('p'),
      querystring: z.object({ minutes: z.coerce.number().int().min(1).max(24 * 60).default(15), limit: z.coerce.number().int().min(1).max(100).default(10) }),
      response: responses({ 200: 'tail events', 404: 'unknown project' }),
    },
    handler: async ({ params, query }) => {
      await requireProject(deps.pool, params.p as string);
      return { projectId: params.p, minutes: query.minutes, ...(await tailEvents(deps.pool, params.p as string, query.minutes, query.limit)) };
    },
  });

  app.route({
    method: 'GET',
    url: '/api/projects/:p/quality',
    config: { roles: ANYONE },
    schema: {
      summary: "A project's data quality per hour, channel and event (analytics.data_quality), each flagged hour with why",
      params: pathParams('p'),
      querystring: z.object({ hours: z.coerce.number().int().min(1).max(24 * 31).default(24), flaggedOnly: z.enum(['true', 'false']).default('false') }),
      response: responses({ 200: 'hours', 404: 'unknown project' }),
    },
    handler: async ({ params, query }) => {
      await requireProject(deps.pool, params.p as string);
      const hours = (await qualityHours(deps.pool, params.p as string, query.hours)).map((h) => ({ ...h, flags: qualityFlags(h) }));
      return { projectId: params.p, hours: query.flaggedOnly === 'true' ? hours.filter((h) => h.flags.length > 0) : hours };
    },
  });

  app.route({
    method: 'GET',
    url: '/api/projects/:p/consent',
    config: { roles: ANYONE },
    schema: {
      summary: 'Events held for consent now, and suppressions per day, category and reason (counts only)',
      params: pathParams('p'),
      querystring: z.object({ days: z.coerce.number().int().min(1).max(366).default(30) }),
      response: responses({ 200: 'consent figures', 404: 'unknown project' }),
    },
    handler: async ({ params, query }) => {
      await requireProject(deps.pool, params.p as string);
      return { projectId: params.p, ...(await consentFigures(deps.pool, params.p as string, query.days)) };
    },
  });

  app.route({
    method: 'GET',
    url: '/api/replays/:id/diff',
    config: { roles: ANYONE },
    schema: {
      summary: "A sandbox replay's rows against production's, by event id: same, changed (with the columns that differ), only in the sandbox",
      params: pathParams('id'),
      response: responses({ 200: 'the diff', 404: 'no such replay', 409: 'not a sandbox replay' }),
    },
    handler: async ({ params, identity }) => {
      const op = await getOperation(deps.pool, params.id as string, 'replay');
      if (!op || !(await mayRead(deps.pool, identity, op.projectId))) throw new ApiError(404, 'not_found', `no replay ${params.id}`);
      if (op.params.target !== 'sandbox') throw new ApiError(409, 'not_a_sandbox', `replay ${op.id} wrote production: there is nothing to compare`);
      return { id: op.id, status: op.status, ...(await sandboxDiff(deps.pool, op.id, op.projectId)) };
    },
  });
}
