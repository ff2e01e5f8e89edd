import { z } from 'zod';
import { createToken, revokeToken, ROLES } from '../../db/api-tokens';
import type { ApiDeps } from '../deps';
import { notFound } from '../errors';
import type { RouteTable } from '../route-table';

const createTokenSchema = z
  .object({
    name: z.string().trim().min(1).max(200),
    role: z.enum(ROLES),
    expiresInDays: z.number().positive().max(3650).optional(),
  })
  .strict();

export function tokenRoutes(routes: RouteTable, deps: ApiDeps): void {
  routes.add({
    method: 'POST',
    url: '/api/tokens',
    summary: 'Create an API token (shown once)',
    roles: ['admin'],
    body: createTokenSchema,
    responses: { 201: 'created', 400: 'invalid' },
    handler: async ({ body, reply }) => {
      const expiresAt = body.expiresInDays ? new Date(Date.now() + body.expiresInDays * 86_400_000) : null;
      const created = await createToken(deps.pool, { name: body.name, role: body.role, expiresAt });
      reply.status(201);
      return { ...created, role: body.role, expiresAt };
    },
  });

  routes.add({
    method: 'DELETE',
    url: '/api/tokens/:id',
    summary: 'Revoke an API token',
    roles: ['admin'],
    responses: { 200: 'revoked', 404: 'no such active token' },
    handler: async ({ params }) => {
      if (!(await revokeToken(deps.pool, params.id as string))) throw notFound(`active token ${params.id}`);
      return { tokenId: params.id, revoked: true };
    },
  });
}
