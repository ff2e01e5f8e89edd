import type { FastifyBaseLogger, FastifyInstance, FastifySchemaCompiler, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';

/**
 * How braid's routes are declared: on fastify with fastify-type-provider-zod,
 * so one zod schema per part of a request (`params`, `querystring`, `body`)
 * types the handler, validates the request and describes it in the OpenAPI
 * document (api/openapi.ts). Who may call a route is its `config.roles`
 * (api/auth.ts).
 */
export type ApiApp = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, ZodTypeProvider>;

/**
 * Validates a request part with its zod schema and hands the ZodError itself
 * to the error handler, which answers it in the contract's shape naming the
 * field and the rule (errors.ts validationError); fastify tags it with the
 * part (`validationContext`). A missing body is read as `{}`, so a body whose
 * fields are all optional may be left out.
 */
export const validatorCompiler: FastifySchemaCompiler<z.ZodType> =
  ({ schema, httpPart }) =>
  (data) => {
    const parsed = schema.safeParse(httpPart === 'body' && (data === null || data === undefined) ? {} : data);
    return parsed.success ? { value: parsed.data } : { error: parsed.error };
  };

/** A route's path parameters, as strings; the handler checks what they name (and answers 404). */
export function pathParams<K extends string>(...names: K[]) {
  return z.object(Object.fromEntries(names.map((name) => [name, z.string()])) as Record<K, z.ZodString>);
}

/** Schemas that appear once in the OpenAPI document's components, referenced by id. */
export const apiSchemas = z.registry<{ id: string }>();

/** The contract's error answer: `{ "error": { "code", "message", "details"? } }`. */
export const errorSchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});
apiSchemas.add(errorSchema, { id: 'Error' });

/**
 * A route's answers by status, for fastify and the OpenAPI document: 4xx and
 * 5xx have the contract's error shape, the others are described in words.
 */
export function responses(descriptions: Record<number, string>) {
  return Object.fromEntries(
    Object.entries(descriptions).map(([status, description]) => [
      status,
      { description, content: { 'application/json': { schema: Number(status) >= 400 ? errorSchema : z.unknown() } } },
    ]),
  );
}
