import { pingPostgres } from '../../db/client';
import type { ApiDeps } from '../deps';
import { responses, type ApiApp } from '../typed-routes';

async function check(name: string, probe: () => Promise<unknown>): Promise<{ name: string; ok: boolean; error?: string }> {
  try {
    await Promise.race([probe(), new Promise((_, reject) => setTimeout(() => reject(new Error('timed out after 2 s')), 2_000))]);
    return { name, ok: true };
  } catch (error) {
    return { name, ok: false, error: (error as Error).message };
  }
}

export function healthRoutes(app: ApiApp, deps: ApiDeps): void {
  app.route({
    method: 'GET',
    url: '/healthz',
    logLevel: 'warn',
    config: { roles: 'public' },
    schema: {
      summary: 'Liveness: the process answers',
      response: responses({ 200: 'alive' }),
    },
    handler: async () => ({ status: 'ok' }),
  });

  app.route({
    method: 'GET',
    url: '/readyz',
    logLevel: 'warn',
    config: { roles: 'public' },
    schema: {
      summary: 'Readiness: Postgres, NATS and Temporal are reachable',
      response: responses({ 200: 'ready', 503: 'a dependency is unreachable' }),
    },
    handler: async (_request, reply) => {
      const checks = await Promise.all([
        check('postgres', () => pingPostgres(deps.pool)),
        check('nats', async () => {
          if (deps.nc.isClosed()) throw new Error('connection closed');
          await deps.nc.flush();
        }),
        check('temporal', () => deps.temporal.connection.workflowService.getSystemInfo({})),
      ]);
      const ready = checks.every((c) => c.ok);
      reply.status(ready ? 200 : 503);
      return ready ? { status: 'ready', checks } : { error: { code: 'not_ready', message: 'a dependency is unreachable', details: checks } };
    },
  });
}
