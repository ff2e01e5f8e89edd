import type { FastifyInstance, FastifyRequest } from 'fastify';
import type pg from 'pg';
import { recordAudit } from '../db/audit-log';
import type { Logger } from '../runtime/logger';

const ACTIONS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Request fields an audit may keep: what an operator chose, never who was
 * erased, whose consent changed, a token or a key. Everything else is kept by
 * name only (`fields`), so the log says a field was sent without saying what.
 */
const SAFE_FIELDS = ['projectId', 'mode', 'target', 'force', 'newModel', 'from', 'to', 'channels', 'events', 'includeRejected', 'role', 'name', 'expiresInDays', 'percent', 'changes', 'replay', 'format', 'sessionHosts', 'consentMode', 'retentionDays', 'kind'] as const;

/** What the audit keeps of a request body. Pure. */
export function auditableBody(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return {};
  const record = body as Record<string, unknown>;
  const kept: Record<string, unknown> = {};
  for (const field of SAFE_FIELDS) if (field in record) kept[field] = record[field];
  return { ...kept, fields: Object.keys(record).sort() };
}

/**
 * Records every operator action (a POST, PUT, PATCH or DELETE under /api/)
 * in braid.audit_log once it is answered, refused ones included: token name
 * and role, `<METHOD> <route>`, the target (route parameters, or the id the
 * answer names), status, safe request fields, source IP. Writing the audit
 * never holds up or fails the answer; a failed write is logged.
 */
export function auditOperatorActions(app: FastifyInstance, pool: pg.Pool, log: Logger): void {
  const answeredIds = new WeakMap<FastifyRequest, string>();
  app.addHook('onSend', async (request, _reply, payload) => {
    if (!isAudited(request) || typeof payload !== 'string' || payload.length > 65_536) return payload;
    const id = /"(?:id|tokenId|mergeId|projectId)"\s*:\s*"([^"]{1,200})"/.exec(payload)?.[1];
    if (id) answeredIds.set(request, id);
    return payload;
  });
  app.addHook('onResponse', async (request, reply) => {
    if (!isAudited(request)) return;
    const params = (request.params ?? {}) as Record<string, string>;
    const body = auditableBody(request.body);
    const projectId = params.p ?? (typeof body.projectId === 'string' ? body.projectId : null);
    const target = params.id ?? params.p ?? answeredIds.get(request) ?? projectId ?? null;
    recordAudit(pool, {
      actor: request.identity?.name ?? null,
      role: request.identity?.role ?? null,
      action: `${request.method} ${request.routeOptions.url ?? request.url.split('?')[0]}`,
      target,
      details: { status: reply.statusCode, params, body, ...(answeredIds.get(request) ? { answered: answeredIds.get(request) } : {}) },
      sourceIp: request.ip,
      projectId,
    }).catch((error: unknown) => log.warn({ err: error, action: request.method, url: request.routeOptions.url }, 'could not record the audit entry'));
  });
}

function isAudited(request: FastifyRequest): boolean {
  return ACTIONS.has(request.method) && (request.routeOptions.url ?? request.url).startsWith('/api/');
}
