import { z } from 'zod';
import { listAudit } from '../../db/audit-log';
import type { ApiDeps } from '../deps';
import { responses, type ApiApp } from '../typed-routes';

/** The audit log, newest first (admins and operators). */
export function auditRoutes(app: ApiApp, deps: ApiDeps): void {
  app.route({
    method: 'GET',
    url: '/api/audit',
    config: { roles: ['admin', 'operator'] },
    schema: {
      summary: 'Operator actions, newest first (analytics.audit_log): who, what, on what, how it ended, from where',
      querystring: z.object({
        projectId: z.string().optional(),
        actor: z.string().optional(),
        action: z.string().max(200).optional(),
        before: z.coerce.number().int().positive().optional(),
        limit: z.coerce.number().int().min(1).max(500).default(100),
      }),
      response: responses({ 200: 'entries' }),
    },
    handler: async ({ query }) => ({
      entries: (await listAudit(deps.pool, { projectId: query.projectId, actor: query.actor, action: query.action, beforeId: query.before, limit: query.limit })).map((e) => ({
        id: e.id,
        at: e.at,
        actor: e.actor,
        role: e.role,
        action: e.action,
        target: e.target,
        details: e.details,
        sourceIp: e.sourceIp,
        projectId: e.projectId,
      })),
    }),
  });
}
