import { createBackfillSchema, createErasureSchema, createReplaySchema, emptyCounts, type OperationKind } from '../../contracts/operations';
import { z } from 'zod';
import { getOperation, insertOperation, listOperations, setOperationStatus, type OperationRecord } from '../../db/operations';
import { getProject } from '../../db/projects';
import { newId, subjectHash } from '../../db/secrets';
import { checkSource } from '../../activities/operations/line-source';
import { sandboxSchema } from '../../activities/operations/sandbox';
import { cancelSignal, pauseSignal, resumeSignal } from '../../workflows/operation.messages';
import type { operationWorkflow } from '../../workflows/operation.workflow';
import type { TokenIdentity } from '../../db/api-tokens';
import type { ApiDeps } from '../deps';
import { mayRead, readableProjects } from '../require-project';
import { ApiError, notFound } from '../errors';
import { pathParams, responses, type ApiApp } from '../typed-routes';

const OPERATOR = ['admin', 'operator'] as const;
const ANYONE = ['admin', 'operator', 'analyst'] as const;

export function operationRoutes(app: ApiApp, deps: ApiDeps): void {
  app.route({
    method: 'POST',
    url: '/api/replays',
    config: { roles: OPERATOR },
    schema: {
      summary: "Re-run a project's raw events of a time range through today's rules, into production or a sandbox",
      body: createReplaySchema,
      response: responses({ 202: 'started', 400: 'invalid request', 404: 'unknown project' }),
    },
    handler: async ({ body, identity }, reply) => {
      const project = await getProject(deps.pool, body.projectId);
      if (!project) throw new ApiError(404, 'unknown_project', `project ${body.projectId} does not exist`);
      const unknown = (body.channels ?? []).filter((c) => !project.settings.channels.includes(c));
      if (unknown.length > 0) throw new ApiError(400, 'unknown_channel', `channels not registered on ${body.projectId}: ${unknown.join(', ')}`);
      reply.status(202);
      return startOperation(deps, 'replay', newId('rp'), body.projectId, body, identity?.name ?? null);
    },
  });

  app.route({
    method: 'POST',
    url: '/api/backfills',
    config: { roles: OPERATOR },
    schema: {
      summary: 'Import historical events (segment-jsonl, gzip allowed) from a path or URL the workers can read',
      body: createBackfillSchema,
      response: responses({ 202: 'started', 400: 'invalid request or unreadable source', 404: 'unknown project' }),
    },
    handler: async ({ body, identity }, reply) => {
      const project = await getProject(deps.pool, body.projectId);
      if (!project) throw new ApiError(404, 'unknown_project', `project ${body.projectId} does not exist`);
      if (!project.settings.channels.includes(body.channel)) throw new ApiError(400, 'unknown_channel', `channel ${body.channel} is not registered on ${body.projectId}`);
      const problem = await checkSource(body.source);
      if (problem) throw new ApiError(400, 'source_unreadable', problem.message);
      reply.status(202);
      return startOperation(deps, 'backfill', newId('bf'), body.projectId, body, identity?.name ?? null);
    },
  });

  app.route({
    method: 'POST',
    url: '/api/erasures',
    config: { roles: OPERATOR },
    schema: {
      summary: 'Erase a person and every id linked to it: suppress, suppress_and_delete, delete or unsuppress',
      body: createErasureSchema,
      response: responses({ 202: 'started', 400: 'invalid request', 404: 'unknown project' }),
    },
    handler: async ({ body, identity }, reply) => {
      if (!(await getProject(deps.pool, body.projectId))) throw new ApiError(404, 'unknown_project', `project ${body.projectId} does not exist`);
      const target = body.personId ? { kind: 'person', id: body.personId } : body.userId ? { kind: 'user', id: body.userId } : { kind: 'anonymous', id: body.anonymousId as string };
      reply.status(202);
      // The audit keeps the mode and a hash of the subject, never the erased id itself.
      const params = { mode: body.mode, subject: subjectHash(body.projectId, target.kind, target.id) };
      return startOperation(deps, 'erasure', newId('er'), body.projectId, params, identity?.name ?? null, { target });
    },
  });

  app.route({
    method: 'GET',
    url: '/api/erasures/:id',
    config: { roles: OPERATOR },
    schema: {
      summary: "An erasure's status and counts (the audit: who asked, when, the mode and the counts)",
      params: pathParams('id'),
      response: responses({ 200: 'status', 404: 'no such erasure' }),
    },
    handler: async ({ params }) => present(await requireOperation(deps, params.id as string, 'erasure')),
  });

  app.route({
    method: 'GET',
    url: '/api/operations',
    config: { roles: ANYONE },
    schema: {
      summary: 'The newest replays, backfills and erasures with their status and progress',
      querystring: z.object({
        kind: z.enum(['replay', 'backfill', 'erasure']).optional(),
        projectId: z.string().optional(),
        limit: z.coerce.number().int().min(1).max(200).default(50),
      }),
      response: responses({ 200: 'operations, newest first' }),
    },
    handler: async ({ query, identity }) => {
      const readable = await readableProjects(deps.pool, identity);
      const operations = await listOperations(deps.pool, query);
      return { operations: operations.filter((op) => readable === null || readable.has(op.projectId)).map(present) };
    },
  });

  for (const [kind, base] of [['replay', '/api/replays'], ['backfill', '/api/backfills']] as const) {
    app.route({
      method: 'GET',
      url: `${base}/:id`,
      config: { roles: ANYONE },
      schema: {
        summary: `A ${kind}'s status, counts and position`,
        params: pathParams('id'),
        response: responses({ 200: 'status', 404: `no such ${kind}` }),
      },
      handler: async ({ params, identity }) => present(await requireOperation(deps, params.id as string, kind, identity)),
    });
    for (const [action, signal] of [['pause', pauseSignal], ['resume', resumeSignal], ['cancel', cancelSignal]] as const) {
      app.route({
        method: 'POST',
        url: `${base}/:id/${action}`,
        config: { roles: OPERATOR },
        schema: {
          summary: `${action[0]!.toUpperCase()}${action.slice(1)} a ${kind} (durable; applied between chunks)`,
          params: pathParams('id'),
          response: responses({ 202: 'requested', 404: `no such ${kind}`, 409: `the ${kind} has finished` }),
        },
        handler: async ({ params }, reply) => {
          const op = await requireOperation(deps, params.id as string, kind);
          if (['completed', 'failed', 'cancelled'].includes(op.status)) {
            throw new ApiError(409, 'operation_finished', `${kind} ${op.id} has already ${op.status}`);
          }
          await deps.temporal.workflow.getHandle(op.workflowId).signal(signal);
          reply.status(202);
          return { id: op.id, requested: action, status: op.status };
        },
      });
    }
  }
}

export async function startOperation(deps: ApiDeps, kind: OperationKind, id: string, projectId: string, params: object, requestedBy: string | null, cursor?: Record<string, unknown>) {
  const workflowId = `operation:${id}`;
  await insertOperation(deps.pool, { id, kind, projectId, params: { ...params }, workflowId, requestedBy, counts: emptyCounts(), cursor });
  try {
    await deps.temporal.workflow.start<typeof operationWorkflow>('operationWorkflow', { workflowId, taskQueue: deps.taskQueue, args: [{ operationId: id }] });
  } catch (error) {
    await setOperationStatus(deps.pool, id, 'failed', `could not start: ${(error as Error).message}`);
    throw new ApiError(503, 'temporal_unavailable', `the ${kind} could not be started: ${(error as Error).message}`);
  }
  return { id, workflowId };
}

/** The operation, or 404 when there is none or the token may not read its project (an analyst's, not granted). */
async function requireOperation(deps: ApiDeps, id: string, kind: OperationKind, identity?: TokenIdentity): Promise<OperationRecord> {
  const op = /^[a-z0-9_]{1,40}$/.test(id) ? await getOperation(deps.pool, id, kind) : null;
  if (!op || !(await mayRead(deps.pool, identity, op.projectId))) throw notFound(`${kind} ${id}`);
  return op;
}

function present(op: OperationRecord) {
  return {
    id: op.id,
    kind: op.kind,
    projectId: op.projectId,
    status: op.status,
    counts: op.counts,
    position: op.position,
    total: op.total,
    params: op.params,
    ...(op.kind === 'replay' && op.params.target === 'sandbox' ? { sandboxSchema: sandboxSchema(op.id) } : {}),
    error: op.error,
    workflowId: op.workflowId,
    requestedBy: op.requestedBy,
    createdAt: op.createdAt,
    updatedAt: op.updatedAt,
    finishedAt: op.finishedAt,
  };
}
