import type { FastifyInstance, FastifyRequest } from 'fastify';
import type pg from 'pg';
import { checkToken, type Role, type TokenIdentity } from '../db/api-tokens';
import { ApiError } from './errors';
import { requireReadableProject } from './require-project';

declare module 'fastify' {
  interface FastifyRequest {
    identity?: TokenIdentity;
  }
  interface FastifyContextConfig {
    /** Who may call the route: the roles whose bearer token it takes, or `public` (no token). */
    roles?: readonly Role[] | 'public';
  }
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/** The caller's identity from `Authorization: Bearer <token>`, or a 401 saying what is wrong. */
export async function authenticate(pool: pg.Pool, request: FastifyRequest): Promise<TokenIdentity> {
  const header = request.headers.authorization;
  if (!header) throw new ApiError(401, 'unauthorized', 'send Authorization: Bearer <token>');
  const match = BEARER.exec(header);
  if (!match) throw new ApiError(401, 'unauthorized', 'the Authorization header must be "Bearer <token>"');
  const check = await checkToken(pool, match[1] as string);
  switch (check.kind) {
    case 'valid':
      return check.identity;
    case 'expired':
      throw new ApiError(401, 'token_expired', 'this token has expired; ask an admin for a new one');
    case 'revoked':
      throw new ApiError(401, 'token_revoked', 'this token was revoked');
    default:
      throw new ApiError(401, 'invalid_token', 'unknown token');
  }
}

export function requireRole(identity: TokenIdentity, roles: readonly Role[]): void {
  if (!roles.includes(identity.role)) {
    throw new ApiError(403, 'forbidden', `this needs the ${roles.join(' or ')} role; the token has ${identity.role}`);
  }
}

/**
 * Role checks for the routes of a scope, from each route's `config.roles`: a
 * route that declares none fails at registration; a non-public route checks
 * the bearer token and its role after the body is parsed and before it is
 * validated, so a caller without the right token learns nothing about the body;
 * then, before the handler, an analyst token's access to the project the route names.
 */
export function checkRoles(scope: FastifyInstance, pool: pg.Pool): void {
  scope.addHook('onRoute', (route) => {
    if (route.config?.roles === undefined) throw new Error(`${String(route.method)} ${route.url} declares no roles (config.roles)`);
  });
  scope.addHook('preValidation', async (request) => {
    const roles = request.routeOptions.config.roles ?? [];
    if (roles === 'public') return;
    const identity = await authenticate(pool, request);
    // Known before the role check, so the audit names who was refused.
    request.identity = identity;
    requireRole(identity, roles);
  });
  // An analyst token reaches only its granted projects: every route naming a project (`:p`) checks it
  // once the request is valid (so a bad request answers 400 without reading the database).
  scope.addHook('preHandler', async (request) => {
    const projectId = (request.params as Record<string, unknown> | undefined)?.p;
    if (request.identity?.role === 'analyst' && typeof projectId === 'string') await requireReadableProject(pool, request.identity, projectId);
  });
}
