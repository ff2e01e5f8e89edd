import { z } from 'zod';
import { WRITE_KEY_REVOKED_SUBJECT } from '../../contracts/wire';
import { requireProject } from '../require-project';
import { listWriteKeys, revokeWriteKey, rotateWriteKey } from '../../db/write-keys';
import type { ApiDeps } from '../deps';
import { ApiError, notFound } from '../errors';
import { pathParams, responses, type ApiApp } from '../typed-routes';

const OPERATOR = ['admin', 'operator'] as const;

/**
 * Write keys of a project: list (no secrets), rotate with an overlap window,
 * revoke at once. A revocation is announced on NATS so every collector
 * forgets the key immediately instead of when its cache entry expires.
 */
export function writeKeyRoutes(app: ApiApp, deps: ApiDeps): void {
  app.route({
    method: 'GET',
    url: '/api/projects/:p/write-keys',
    config: { roles: OPERATOR },
    schema: { summary: "A project's write keys (ids, channels, when each stops working), newest first", params: pathParams('p'), response: responses({ 200: 'keys', 404: 'no such project' }) },
    handler: async ({ params }) => {
      await requireProject(deps.pool, params.p as string);
      return { projectId: params.p, keys: await listWriteKeys(deps.pool, params.p as string) };
    },
  });

  app.route({
    method: 'POST',
    url: '/api/projects/:p/write-keys',
    config: { roles: OPERATOR },
    schema: {
      summary: "Rotate a channel's write key: the new key (shown once) works at once; the old ones keep working for overlapMinutes",
      params: pathParams('p'),
      body: z.object({ channel: z.string().min(1), overlapMinutes: z.number().int().min(0).max(7 * 24 * 60).default(60) }).strict(),
      response: responses({ 201: 'the new key', 400: 'unknown channel', 404: 'no such project' }),
    },
    handler: async ({ params, body }, reply) => {
      const project = await requireProject(deps.pool, params.p as string);
      const channels = (project.settings as { channels?: string[] }).channels ?? ['web', 'mobile', 'backend'];
      if (!channels.includes(body.channel)) throw new ApiError(400, 'unknown_channel', `channel "${body.channel}" is not registered on project ${params.p}`, { channels });
      const rotated = await rotateWriteKey(deps.pool, params.p as string, body.channel, body.overlapMinutes * 60_000);
      // Collectors forget the old keys' cached entries and read their new end of life.
      for (const keyId of rotated.previousKeyIds) deps.nc.publish(WRITE_KEY_REVOKED_SUBJECT, JSON.stringify({ keyId }));
      await deps.nc.flush();
      reply.status(201);
      return { projectId: params.p, channel: body.channel, ...rotated };
    },
  });

  app.route({
    method: 'DELETE',
    url: '/api/projects/:p/write-keys/:keyId',
    config: { roles: OPERATOR },
    schema: { summary: 'Revoke a write key now, on every collector', params: pathParams('p', 'keyId'), response: responses({ 200: 'revoked', 404: 'no such key' }) },
    handler: async ({ params }) => {
      if (!(await revokeWriteKey(deps.pool, params.p as string, params.keyId as string))) throw notFound(`write key ${params.keyId} of project ${params.p}`);
      deps.nc.publish(WRITE_KEY_REVOKED_SUBJECT, JSON.stringify({ keyId: params.keyId }));
      await deps.nc.flush();
      return { projectId: params.p, keyId: params.keyId, revoked: true };
    },
  });
}
