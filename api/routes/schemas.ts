import { requireProject } from '../require-project';
import { z } from 'zod';
import { checkEventsBody, eventKeyProblem, pushSchemaBody, type CheckProblem, type CheckResult } from '../../contracts/schemas';
import { projectRules } from '../../db/project-rules';
import { getSchemaVersion, listCurrentSchemas, listSchemaVersions, loadRegistrySnapshot, pushSchema, schemaChangelog } from '../../db/schema-registry';
import { decodeMessage } from '../../rules/decode-message';
import { probableDuplicates } from '../../rules/event-name-key';
import { schemaTargetOf } from '../../rules/schema-snapshot';
import type { ApiDeps } from '../deps';
import { ApiError, notFound } from '../errors';
import { pathParams, responses, type ApiApp } from '../typed-routes';
import { consumerBreaks } from './contracts';
import type { JsonSchema } from '../../rules/schema-validation';

/** The schema registry: push with compatibility rules, read versions and the changelog, check events offline. */
export function schemaRoutes(app: ApiApp, deps: ApiDeps): void {
  const requireKey = (key: string): string => {
    const problem = eventKeyProblem(key);
    if (problem) throw new ApiError(400, 'invalid_event_name', problem);
    return key;
  };

  app.route({
    method: 'GET',
    url: '/api/projects/:p/schemas',
    config: { roles: ['admin', 'operator', 'analyst'] },
    schema: {
      summary: "The current schema version of each of a project's events",
      params: pathParams('p'),
      response: responses({ 200: 'the schemas', 404: 'no such project' }),
    },
    handler: async ({ params }) => {
      const project = await requireProject(deps.pool, params.p as string);
      const current = await listCurrentSchemas(deps.pool, project.projectId);
      return {
        projectId: project.projectId,
        schemas: current.map((s) => ({ event: s.eventKey, version: s.version, target: schemaTargetOf(s.eventKey), createdBy: s.createdBy, createdAt: s.createdAt })),
      };
    },
  });

  app.route({
    method: 'PUT',
    url: '/api/projects/:p/schemas/:event',
    config: { roles: ['admin', 'operator'] },
    schema: {
      summary:
        'Push a JSON Schema for an event\'s properties (`$identify`, `$group`: traits). Compatible changes get the next ADDITION or REVISION; a change that would reject events the current version accepts is refused unless it is the next MODEL (`newModel: true` or version `<model+1>-0-0`)',
      params: pathParams('p', 'event'),
      body: pushSchemaBody,
      response: responses({
        200: 'the same schema as the version named (or the current one): nothing changed',
        201: 'a new version, with its changelog summary',
        400: 'not a valid JSON Schema, a bad version or event name',
        404: 'no such project',
        409: 'incompatible with the current version, a version that is not the next one, or it would break a registered consumer (`breaks_consumers`; push with force)',
      }),
    },
    handler: async ({ params, body, identity }, reply) => {
      const project = await requireProject(deps.pool, params.p as string);
      const key = requireKey(params.event as string);
      // A change that breaks a registered consumer needs force (the audit log keeps that it was forced).
      const broken = await consumerBreaks(deps, project.projectId, key, body.schema as JsonSchema);
      const brokenConsumers = [...new Set(broken.map((b) => b.consumer))];
      if (broken.length > 0 && !body.force) {
        throw new ApiError(409, 'breaks_consumers', `this schema would break consumer${brokenConsumers.length > 1 ? 's' : ''} ${brokenConsumers.join(', ')}; push with force to do it anyway`, {
          consumers: brokenConsumers,
          breaks: broken,
        });
      }
      const outcome = await pushSchema(deps.pool, {
        projectId: project.projectId,
        key,
        schema: body.schema,
        version: body.version,
        newModel: body.newModel,
        force: body.force,
        comment: body.comment,
        author: identity?.name ?? null,
      });
      if (outcome.kind === 'refuse') throw new ApiError(outcome.status, outcome.code, outcome.message, outcome.details);
      if (outcome.kind === 'unchanged') return { projectId: project.projectId, event: key, version: outcome.version, changed: false };
      const keys = (await listCurrentSchemas(deps.pool, project.projectId)).map((s) => s.eventKey);
      const similar = probableDuplicates(key, keys);
      reply.status(201);
      return {
        projectId: project.projectId,
        event: key,
        version: outcome.version,
        previousVersion: outcome.previousVersion,
        change: outcome.change,
        changed: true,
        summary: outcome.summary,
        changes: outcome.changes,
        author: identity?.name ?? null,
        changedAt: outcome.changedAt,
        brokenConsumers,
        warnings: similar.map((name) => ({
          code: 'probable_duplicate_name',
          message: `"${key}" and "${name}" differ only in case or separators: probably the same event`,
        })),
      };
    },
  });

  app.route({
    method: 'GET',
    url: '/api/projects/:p/schemas/:event',
    config: { roles: ['admin', 'operator', 'analyst'] },
    schema: {
      summary: "An event's current schema (?version=1-0-0 for another)",
      params: pathParams('p', 'event'),
      querystring: z.object({ version: z.string().optional() }),
      response: responses({ 200: 'the schema', 404: 'no such project, event schema or version' }),
    },
    handler: async ({ params, query }) => {
      const project = await requireProject(deps.pool, params.p as string);
      const key = requireKey(params.event as string);
      const found = await getSchemaVersion(deps.pool, project.projectId, key, query.version || undefined);
      if (!found) throw notFound(query.version ? `schema ${key} ${query.version}` : `a schema for ${key}`);
      return { projectId: project.projectId, event: key, version: found.version, target: schemaTargetOf(key), schema: found.schema, createdBy: found.createdBy, createdAt: found.createdAt };
    },
  });

  app.route({
    method: 'GET',
    url: '/api/projects/:p/schemas/:event/history',
    config: { roles: ['admin', 'operator', 'analyst'] },
    schema: {
      summary: "An event's versions and changelog (who, when, what changed), newest first",
      params: pathParams('p', 'event'),
      response: responses({ 200: 'the history', 404: 'no such project or event schema' }),
    },
    handler: async ({ params }) => {
      const project = await requireProject(deps.pool, params.p as string);
      const key = requireKey(params.event as string);
      const changelog = await schemaChangelog(deps.pool, project.projectId, key);
      if (changelog.length === 0) throw notFound(`a schema for ${key}`);
      const versions = (await listSchemaVersions(deps.pool, project.projectId)).filter((v) => v.eventKey === key);
      return {
        projectId: project.projectId,
        event: key,
        current: versions[0]?.version ?? null,
        versions: versions.map((v) => ({ version: v.version, createdBy: v.createdBy, createdAt: v.createdAt })),
        changelog,
      };
    },
  });

  app.route({
    method: 'POST',
    url: '/api/projects/:p/schemas/check',
    config: { roles: ['admin', 'operator', 'analyst'] },
    schema: {
      summary:
        'Check events (`ndjson`: one per line, or `events`) offline against the registry and the project\'s tracking plan, exactly as ingest would judge them; nothing is written',
      params: pathParams('p'),
      body: checkEventsBody,
      response: responses({ 200: 'the problems found, by line', 400: 'a bad request body or channel', 404: 'no such project' }),
    },
    handler: async ({ params, body }): Promise<CheckResult> => {
      const project = await requireProject(deps.pool, params.p as string);
      const channel = body.channel ?? project.settings.channels[0] ?? 'web';
      if (!project.settings.channels.includes(channel)) {
        throw new ApiError(400, 'unknown_channel', `channel ${channel} is not registered on project ${project.projectId}`);
      }
      const rules = projectRules(project, await loadRegistrySnapshot(deps.pool, project.projectId));
      const lines = body.ndjson !== undefined ? splitLines(body.ndjson) : (body.events ?? []).map((e) => JSON.stringify(e) ?? 'undefined');
      const result: CheckResult = { projectId: project.projectId, channel, checked: 0, passed: 0, flagged: 0, rejected: 0, problems: [] };
      const now = Date.now();
      lines.forEach((text, i) => {
        if (text.trim() === '') return;
        const line = body.firstLine + i;
        result.checked += 1;
        const outcome = decodeMessage(
          { subject: '', data: Buffer.from(text, 'utf8'), receivedAtMs: now, source: { stream: 'schema-check', sequence: line, subject: null } },
          (id) => (id === rules.projectId ? rules : undefined),
          { route: { projectId: project.projectId, channel } },
        );
        if (outcome.kind === 'rejected') {
          result.rejected += 1;
          result.problems.push(rejectedProblem(line, outcome.rejection));
        } else if (outcome.violations && outcome.violations.length > 0) {
          result.flagged += 1;
          result.problems.push({
            line,
            messageId: outcome.event.messageId,
            event: outcome.event.event ?? outcome.event.name ?? null,
            outcome: 'flagged',
            reason: null,
            violations: outcome.violations.map((v) => ({ rule: v.kind, path: v.path, message: v.message, policy: 'flag' })),
          });
        } else result.passed += 1;
      });
      return result;
    },
  });
}

function splitLines(text: string): string[] {
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

function rejectedProblem(
  line: number,
  rejection: { messageId: string | null; reason: string; details: Record<string, unknown>; payload: unknown },
): CheckProblem {
  const details = rejection.details as { message?: string; violations?: { rule: string; path: string; message: string; policy?: 'flag' | 'block' }[] };
  const payload = rejection.payload as { event?: unknown; name?: unknown } | null;
  const named = typeof payload === 'object' && payload !== null ? (payload.event ?? payload.name) : undefined;
  return {
    line,
    messageId: rejection.messageId,
    event: typeof named === 'string' ? named : null,
    outcome: 'rejected',
    reason: rejection.reason,
    violations: (details.violations ?? [{ rule: rejection.reason, path: '(event)', message: details.message ?? rejection.reason }]).map((v) => ({
      rule: v.rule,
      path: v.path,
      message: v.message,
      ...(v.policy ? { policy: v.policy } : {}),
    })),
  };
}
