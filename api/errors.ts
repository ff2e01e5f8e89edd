import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ZodError } from 'zod';

/**
 * Every error the API answers has the contract's shape:
 * `{ "error": { "code", "message", "details"? } }` with a fitting status.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const notFound = (what: string) => new ApiError(404, 'not_found', `${what} does not exist`);

export function errorBody(code: string, message: string, details?: unknown) {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}

/** Zod issues as readable details: the field and the rule it broke. */
export function validationError(error: ZodError, what = 'request body'): ApiError {
  const details = error.issues.map((i) => ({ path: i.path.map(String).join('.') || '(root)', rule: i.code, message: i.message }));
  const custom = error.issues.find((i) => i.code === 'custom' && (i as { params?: { code?: string } }).params?.code);
  const code = (custom as { params?: { code?: string } } | undefined)?.params?.code ?? 'invalid_request';
  const first = details[0];
  return new ApiError(400, code, first ? `${what}: ${first.path}: ${first.message}` : `invalid ${what}`, details);
}

/** How a validation message names the part of the request that failed. */
const REQUEST_PARTS: Record<string, string> = { body: 'request body', querystring: 'query', params: 'path', headers: 'headers' };

/** Client errors that fastify and its plugins raise, by their code, in braid's codes. */
const CLIENT_ERRORS: Record<string, { status: number; code: string; message?: (request: FastifyRequest) => string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: {
    status: 413,
    code: 'payload_too_large',
    message: (request) => `the request body is over ${request.routeOptions.bodyLimit} bytes${request.headers['content-encoding'] ? ' (after decompression)' : ''}`,
  },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'unsupported_media_type', message: () => 'send application/json' },
  // @fastify/compress: a body that is not valid in its Content-Encoding.
  FST_CP_ERR_INVALID_CONTENT: { status: 400, code: 'invalid_encoding' },
};

export function handleError(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): void {
  if (error instanceof ApiError) {
    reply.status(error.status).send(errorBody(error.code, error.message, error.details));
    return;
  }
  if (error instanceof ZodError) {
    // fastify tags a failed request part (api/typed-routes.ts validatorCompiler); a ZodError thrown elsewhere is about the body.
    const e = validationError(error, REQUEST_PARTS[(error as { validationContext?: string }).validationContext ?? 'body'] ?? 'request body');
    reply.status(e.status).send(errorBody(e.code, e.message, e.details));
    return;
  }
  const fastifyError = error as FastifyError;
  const known = fastifyError.code === undefined ? undefined : CLIENT_ERRORS[fastifyError.code];
  if (known) {
    reply.status(known.status).send(errorBody(known.code, known.message?.(request) ?? error.message));
    return;
  }
  if (fastifyError.statusCode && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    const code = fastifyError.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || /JSON/i.test(error.message) ? 'invalid_json' : 'bad_request';
    reply.status(fastifyError.statusCode).send(errorBody(code, error.message));
    return;
  }
  request.log.error({ err: error }, 'request failed');
  reply.status(500).send(errorBody('internal_error', 'something went wrong on our side; it is logged'));
}
