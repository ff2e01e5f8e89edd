import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type pg from 'pg';
import { z } from 'zod';
import type { Role, TokenIdentity } from '../db/api-tokens';
import { authenticate, requireRole } from './auth';
import { validationError } from './errors';

export interface RouteContext<B> {
  request: FastifyRequest;
  reply: FastifyReply;
  body: B;
  params: Record<string, string>;
  query: Record<string, string | undefined>;
  identity: TokenIdentity | null;
}

export interface RouteSpec<B = unknown> {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  url: string;
  summary: string;
  /** Who may call it; `public` needs no token. */
  roles: readonly Role[] | 'public';
  body?: z.ZodType<B>;
  /** Status → description, for the OpenAPI document. */
  responses: Record<number, string>;
  handler: (ctx: RouteContext<B>) => Promise<unknown>;
}

/**
 * The API's routes, declared once: registered with fastify (authentication,
 * role check and zod validation before the handler) and described in the
 * OpenAPI document from the same declarations.
 */
export class RouteTable {
  private readonly routes: RouteSpec<never>[] = [];

  add<B>(spec: RouteSpec<B>): void {
    this.routes.push(spec as unknown as RouteSpec<never>);
  }

  register(app: FastifyInstance, pool: pg.Pool): void {
    for (const spec of this.routes) {
      app.route({
        method: spec.method,
        url: spec.url,
        handler: async (request, reply) => {
          let identity: TokenIdentity | null = null;
          if (spec.roles !== 'public') {
            identity = await authenticate(pool, request);
            requireRole(identity, spec.roles);
            request.identity = identity;
          }
          let body: unknown = undefined;
          if (spec.body) {
            const parsed = spec.body.safeParse(request.body ?? {});
            if (!parsed.success) throw validationError(parsed.error);
            body = parsed.data;
          }
          return spec.handler({
            request,
            reply,
            body: body as never,
            params: request.params as Record<string, string>,
            query: request.query as Record<string, string | undefined>,
            identity,
          });
        },
      });
    }
  }

  openapi(): Record<string, unknown> {
    const paths: Record<string, Record<string, unknown>> = {};
    for (const spec of this.routes) {
      const path = spec.url.replace(/:(\w+)/g, '{$1}');
      const parameters = [...spec.url.matchAll(/:(\w+)/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
      paths[path] ??= {};
      paths[path][spec.method.toLowerCase()] = {
        summary: spec.summary,
        ...(spec.roles === 'public' ? { security: [] } : { description: `Roles: ${spec.roles.join(', ')}` }),
        ...(parameters.length > 0 ? { parameters } : {}),
        ...(spec.body
          ? { requestBody: { required: true, content: { 'application/json': { schema: z.toJSONSchema(spec.body, { io: 'input', unrepresentable: 'any' }) } } } }
          : {}),
        responses: Object.fromEntries(
          Object.entries(spec.responses).map(([status, description]) => [
            status,
            Number(status) >= 400 ? { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } } : { description },
          ]),
        ),
      };
    }
    return {
      openapi: '3.1.0',
      info: { title: 'braid operator API', version: '1' },
      security: [{ bearer: [] }],
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
        schemas: {
          Error: {
            type: 'object',
            required: ['error'],
            properties: { error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' }, details: {} } } },
          },
        },
      },
      paths,
    };
  }
}
