import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { recentHealth, rejectionsByReason } from '../../db/console-figures';
import { getProject } from '../../db/projects';
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
      await requireProject(deps, params.p as string);
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
      await requireProject(deps, params.p as string);
      return { projectId: params.p, reasons: await rejectionsByReason(deps.pool, params.p as string) };
    },
  });
}

async function requireProject(deps: ApiDeps, projectId: string): Promise<void> {
  if (!(await getProject(deps.pool, projectId))) throw new ApiError(404, 'unknown_project', `project ${projectId} does not exist`);
}
