import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { createGunzip, createInflate } from 'node:zlib';
import cors from '@fastify/cors';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { resolveWriteKey } from '../../db/write-keys';
import { rawSubject } from '../../contracts/wire';
import { COLLECTOR_ROUTES, parseRequestBody, prepareEvents, publishedAnswer, unpublishedAnswer, writeKeyFromAuthorization, type CollectorRoute } from '../../rules/collector-request';
import { loadCollectorConfig, type CollectorConfig } from '../../runtime/config';
import type { ApiDeps } from '../deps';
import { ApiError, errorBody } from '../errors';
import { BacklogMonitor } from './backlog';
import { JetStreamPublisher } from './publisher';
import { WriteKeyCache, WriteKeyUnavailable, type CollectorSource } from './write-keys';

/**
 * The HTTP collector: Segment's HTTP Tracking API in front of BRAID_RAW, for
 * clients that cannot speak NATS (contract section 3).
 *
 *   auth (write key → project, channel) → backlog check (429)
 *   → read body (gzip, 500 KB) → prepare each event (rules/collector-request)
 *   → publish the valid ones to JetStream → answer once every ack is in.
 */

declare module 'fastify' {
  interface FastifyRequest {
    collectorSource?: CollectorSource;
  }
}

/** Registers `POST /v1/{track,identify,alias,page,screen,group,batch}` with CORS, in their own scope. */
export function collectorRoutes(app: FastifyInstance, deps: ApiDeps, config: CollectorConfig = loadCollectorConfig()): void {
  const keys = new WriteKeyCache((key) => resolveWriteKey(deps.pool, key), { ttlMs: config.keyCacheMs, log: deps.log });
  const backlog = new BacklogMonitor(deps.nc, config.lagConsumers, config.lagCacheMs);
  const publisher = new JetStreamPublisher(deps.nc, config.publishTimeoutMs);
  const retryAfter = String(Math.max(1, Math.ceil(config.retryAfterMs / 1000)));

  app.register(
    async (scope) => {
      scope.addHook('onClose', async () => publisher.close());
      await scope.register(cors, {
        origin: config.corsOrigins,
        methods: ['POST'],
        allowedHeaders: ['Authorization', 'Content-Type', 'Content-Encoding'],
        exposedHeaders: ['Retry-After'],
        maxAge: 86_400,
      });

      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser('*', (request, payload, done) => {
        readBody(request, payload as unknown as Readable, config.maxRequestBytes).then(
          (body) => {
            const parsed = parseRequestBody(body);
            if (parsed.kind === 'invalid') done(new ApiError(400, parsed.code, parsed.message), undefined);
            else done(null, parsed.value);
          },
          (error: Error) => done(error, undefined),
        );
      });

      scope.addHook('onRequest', async (request, reply) => {
        if (request.method === 'OPTIONS') return;
        const key = writeKeyFromAuthorization(request.headers.authorization);
        if (!key) {
          reply.header('WWW-Authenticate', 'Basic realm="braid"');
          throw new ApiError(401, 'unauthorized', 'send HTTP Basic auth with the write key as user name');
        }
        const source = await keys.resolve(key).catch((error: unknown) => {
          if (!(error instanceof WriteKeyUnavailable)) throw error;
          reply.header('Retry-After', retryAfter);
          throw new ApiError(503, 'auth_unavailable', 'write keys cannot be checked right now (database unreachable); retry later');
        });
        if (!source) throw new ApiError(401, 'invalid_write_key', 'unknown or revoked write key');
        request.collectorSource = source;
        if (config.maxLag > 0) {
          const pending = await backlog.backlog(rawSubject(source.projectId, source.channel));
          if (pending > config.maxLag) {
            reply.header('Retry-After', retryAfter);
            throw new ApiError(429, 'ingestion_behind', `ingestion is ${pending} events behind (bound ${config.maxLag}); retry after ${retryAfter} s`, {
              backlog: pending,
              bound: config.maxLag,
            });
          }
        }
      });

      for (const route of COLLECTOR_ROUTES) {
        scope.post(`/${route}`, (request, reply) => collect(route, request, reply));
      }
    },
    { prefix: '/v1' },
  );

  async function collect(route: CollectorRoute, request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    const receivedAt = new Date().toISOString();
    const source = request.collectorSource as CollectorSource;
    const prepared = prepareEvents(route, request.body, randomUUID);
    if (prepared.kind === 'invalid') throw new ApiError(400, prepared.code, prepared.message);

    let answer;
    if (prepared.ready.length > 0 && !publisher.available) {
      answer = unpublishedAnswer(prepared.rejected);
    } else {
      const published = await publisher.publish(rawSubject(source.projectId, source.channel), prepared.ready, receivedAt);
      if (published.unconfirmed.length > 0) {
        deps.log.warn(
          { projectId: source.projectId, channel: source.channel, unconfirmed: published.unconfirmed.length, error: published.unconfirmed[0]?.error },
          'collector: JetStream did not ack every event',
        );
      }
      answer = publishedAnswer(route, prepared, published);
    }
    if (answer.kind === 'ok') return answer.body;
    reply.status(answer.status);
    if (answer.retry) reply.header('Retry-After', retryAfter);
    return errorBody(answer.code, answer.message, answer.details);
  }
}

// ---------------------------------------------------------------------------
// The body: gzip or deflate undone, at most the limit before and after

class TooLarge extends ApiError {
  constructor(limit: number) {
    super(413, 'payload_too_large', `the request body is over ${limit} bytes (after gzip is undone)`);
  }
}

/** Reads a request body, undoing gzip or deflate, refusing more than `limit` bytes before or after. */
function readBody(request: FastifyRequest, payload: Readable, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(request.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      payload.resume();
      reject(new TooLarge(limit));
      return;
    }
    const encoding = String(request.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
    let source: Readable = payload;
    if (encoding === 'gzip' || encoding === 'x-gzip') source = payload.pipe(createGunzip());
    else if (encoding === 'deflate') source = payload.pipe(createInflate());
    else if (encoding !== 'identity' && encoding !== '') {
      payload.resume();
      reject(new ApiError(415, 'unsupported_content_encoding', `Content-Encoding ${encoding} is not supported; send gzip, deflate or none`));
      return;
    }
    let raw = 0;
    let size = 0;
    const chunks: Buffer[] = [];
    let settled = false;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      if (source !== payload) {
        payload.unpipe();
        source.destroy();
      }
      payload.resume();
      reject(error);
    };
    if (source !== payload) {
      payload.on('data', (chunk: Buffer) => {
        raw += chunk.length;
        if (raw > limit) fail(new TooLarge(limit));
      });
    }
    source.on('data', (chunk: Buffer) => {
      if (settled) return;
      size += chunk.length;
      if (size > limit) return fail(new TooLarge(limit));
      chunks.push(chunk);
    });
    source.on('error', (error) =>
      fail(source === payload ? error : new ApiError(400, 'invalid_encoding', `the body is not valid ${encoding}: ${error.message}`)),
    );
    source.on('end', () => {
      if (settled) return;
      settled = true;
      resolve(Buffer.concat(chunks, size));
    });
  });
}
