import { z } from 'zod';
import { createToken, revokeToken, ROLES } from '../../db/api-tokens';
import type { ApiDeps } from '../deps';
import { notFound } from '../errors';
import { pathParams, responses, type ApiApp } from '../typed-routes';

const createTokenSchema = z
  .object({
    name: z.string().trim().min(1).max(200),
    role: z.enum(ROLES),
    expiresInDays: z.number().positive().max(3650).optional(),
  })
  .strict();

export function tokenRoutes(app: ApiApp, deps: ApiDeps): void {
  app.route({
    method: 'POST',
    url: '/api/tokens',
    config: { roles: ['admin'] },
    schema: {
      summary: 'Create an API token (shown once)',
      body: createTokenSchema,
      response: responses({ 201: 'created', 400: 'invalid' }),
    },
    handler: async ({ body }, reply) => {
      const expiresAt = body.expiresInDays ? new Date(Date.now() + body.expiresInDays * 86_400_000) : null;
      const created = await createToken(deps.pool, { name: body.name, role: body.role, expiresAt });
      reply.status(201);
      return { ...created, role: body.role, expiresAt };
    },
  });

  app.route({
    method: 'DELETE',
    url: '/api/tokens/:id',
    config: { roles: ['admin'] },
    schema: {
      summary: 'Revoke an API token',
      params: pathParams('id'),
      response: responses({ 200: 'revoked', 404: 'no such active token' }),
    },
    handler: async ({ params }) => {
      if (!(await revokeToken(deps.pool, params.id as string))) throw notFound(`active token ${params.id}`);
      return { tokenId: params.id, revoked: true };
    },
  });
}
