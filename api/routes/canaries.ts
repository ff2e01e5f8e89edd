import { canaryQuerySchema, rollbackCanarySchema, startCanarySchema } from '../../contracts/canary';
import type { CreateReplay } from '../../contracts/operations';
import { armCounts, canaryDiff, endCanary, getCanary, listCanaries, setCanaryReplay, startCanary, type CanaryRecord } from '../../db/rule-canaries';
import { newId } from '../../db/secrets';
import { requireProject } from '../require-project';
import type { ApiDeps } from '../deps';
import { ApiError, notFound } from '../errors';
import { pathParams, responses, type ApiApp } from '../typed-routes';
import { startOperation } from './operations';

const OPERATOR = ['admin', 'operator'] as const;
const EVERYONE = ['admin', 'operator', 'analyst'] as const;

/** Events decided by a canary's rules may still be in flight this long after it ends (ingest reloads rules every few seconds). */
const IN_FLIGHT_MS = 15_000;

/**
 * Canary rule changes (contract section 6): a settings change tried on a
 * share of devices (rules/canary-arm.ts), compared arm by arm, then promoted
 * to every device or rolled back, with a production replay of the canary
 * arm's events under the restored rules on request.
 */
export function canaryRoutes(app: ApiApp, deps: ApiDeps): void {
  app.route({
    method: 'POST',
    url: '/api/projects/:p/canaries',
    config: { roles: OPERATOR },
    schema: {
      summary: 'Try a rules change (part of a PATCH body) on a percentage of devices, chosen by a stable hash; the others keep the current rules',
      params: pathParams('p'),
      body: startCanarySchema,
      response: responses({ 202: 'started', 400: 'invalid change', 404: 'no such project', 409: 'a canary already runs on the project' }),
    },
    handler: async ({ params, body, identity }, reply) => {
      const projectId = params.p as string;
      const outcome = await startCanary(deps.pool, { id: newId('cn'), projectId, changes: body.changes, percent: body.percent, startedBy: identity?.name ?? null });
      if (outcome.kind === 'no_project') throw new ApiError(404, 'unknown_project', `project ${projectId} does not exist`);
      if (outcome.kind === 'already_running') {
        throw new ApiError(409, 'canary_running', `canary ${outcome.canary.id} already runs on project ${projectId}; promote or roll it back first`, { canaryId: outcome.canary.id });
      }
      if (outcome.kind === 'no_change') throw new ApiError(400, 'no_change', 'changes: the project already has these settings');
      reply.status(202);
      return present(outcome.canary);
    },
  });

  app.route({
    method: 'GET',
    url: '/api/projects/:p/canaries',
    config: { roles: EVERYONE },
    schema: { summary: "A project's canaries, newest first", params: pathParams('p'), response: responses({ 200: 'the canaries', 404: 'no such project' }) },
    handler: async ({ params }) => {
      const project = await requireProject(deps.pool, params.p as string);
      return { projectId: project.projectId, canaries: (await listCanaries(deps.pool, project.projectId)).map(present) };
    },
  });

  app.route({
    method: 'GET',
    url: '/api/projects/:p/canaries/:id',
    config: { roles: EVERYONE },
    schema: {
      summary:
        'A canary, its change, and what each arm did since it started: devices, written, rejected (by reason), suppressed, sessions per device, null rates; with steps (and window), a funnel per arm by device',
      params: pathParams('p', 'id'),
      querystring: canaryQuerySchema,
      response: responses({ 200: 'the canary', 400: 'bad steps or window', 404: 'no such canary' }),
    },
    handler: async ({ params, query }) => {
      const project = await requireProject(deps.pool, params.p as string);
      const canary = await requireCanary(deps, project.projectId, params.id as string);
      const funnel = query.steps ? { steps: query.steps, windowSeconds: query.window.seconds } : undefined;
      return { ...present(canary), diff: canaryDiff(project.settings, canary), arms: await armCounts(deps.pool, canary, funnel) };
    },
  });

  app.route({
    method: 'POST',
    url: '/api/projects/:p/canaries/:id/promote',
    config: { roles: OPERATOR },
    schema: {
      summary: "Apply the canary's rules to every device, under the canary's rules version",
      params: pathParams('p', 'id'),
      response: responses({ 200: 'promoted', 404: 'no such canary', 409: 'the canary has ended' }),
    },
    handler: async ({ params, identity }) => {
      const canary = await end(deps, params.p as string, params.id as string, 'promoted', identity?.name ?? null);
      return { ...present(canary), arms: await armCounts(deps.pool, canary) };
    },
  });

  app.route({
    method: 'POST',
    url: '/api/projects/:p/canaries/:id/rollback',
    config: { roles: OPERATOR },
    schema: {
      summary: "Return the canary's devices to the current rules; `replay: true` also re-runs the canary arm's events under them in production",
      params: pathParams('p', 'id'),
      body: rollbackCanarySchema.optional(),
      response: responses({ 200: 'rolled back', 404: 'no such canary', 409: 'the canary has ended' }),
    },
    handler: async ({ params, body, identity }) => {
      const requestedBy = identity?.name ?? null;
      const canary = await end(deps, params.p as string, params.id as string, 'rolled_back', requestedBy);
      const replayParams = canaryReplay(canary);
      let replay: { id: string; workflowId: string } | null = null;
      if (body?.replay) {
        replay = await startOperation(deps, 'replay', newId('rp'), canary.projectId, replayParams, requestedBy);
        await setCanaryReplay(deps.pool, canary.id, replay.id);
      }
      return {
        ...present({ ...canary, replayId: replay?.id ?? null }),
        arms: await armCounts(deps.pool, canary),
        replay,
        // What to send to re-run the canary arm's events under the restored rules, when not asked for now.
        ...(replay ? {} : { suggestedReplay: { method: 'POST', path: '/api/replays', body: replayParams } }),
      };
    },
  });
}

async function requireCanary(deps: ApiDeps, projectId: string, id: string): Promise<CanaryRecord> {
  const canary = /^[a-z0-9_]{1,40}$/.test(id) ? await getCanary(deps.pool, projectId, id) : null;
  if (!canary) throw notFound(`canary ${id} of project ${projectId}`);
  return canary;
}

async function end(deps: ApiDeps, projectId: string, id: string, status: 'promoted' | 'rolled_back', endedBy: string | null): Promise<CanaryRecord> {
  await requireProject(deps.pool, projectId);
  const outcome = await endCanary(deps.pool, { projectId, id, status, endedBy });
  if (outcome.kind === 'not_found') throw notFound(`canary ${id} of project ${projectId}`);
  if (outcome.kind === 'not_running') throw new ApiError(409, 'canary_ended', `canary ${id} was ${outcome.canary.status.replace('_', ' ')} at ${outcome.canary.endedAt?.toISOString()}`, { status: outcome.canary.status });
  return outcome.canary;
}

/** A production replay of the canary arm's messages, from the canary's start until its events stopped arriving. */
function canaryReplay(canary: CanaryRecord): CreateReplay {
  const to = new Date((canary.endedAt ?? new Date()).getTime() + IN_FLIGHT_MS);
  return { projectId: canary.projectId, from: canary.startedAt.toISOString(), to: to.toISOString(), target: 'production', includeRejected: true, canary: canary.id };
}

function present(c: CanaryRecord) {
  return {
    id: c.id,
    projectId: c.projectId,
    status: c.status,
    percent: c.percent,
    changes: c.changes,
    rulesVersions: { control: c.controlVersion, canary: c.canaryVersion },
    startedAt: c.startedAt.toISOString(),
    startedBy: c.startedBy,
    endedAt: c.endedAt?.toISOString() ?? null,
    endedBy: c.endedBy,
    replayId: c.replayId,
  };
}
