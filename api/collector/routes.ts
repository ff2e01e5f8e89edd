import { randomUUID } from 'node:crypto';
import compress from '@fastify/compress';
import cors from '@fastify/cors';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { resolveWriteKey } from '../../db/write-keys';
import { WRITE_KEY_REVOKED_SUBJECT, rawSubject } from '../../contracts/wire';
import {
  COLLECTOR_ROUTES,
  normalizeContentEncoding,
  parseRequestBody,
  prepareEvents,
  publishedAnswer,
  unpublishedAnswer,
  writeKeyFromAuthorization,
  type CollectorAnswer,
  type CollectorRoute,
} from '../../rules/collector-request';
import { loadCollectorConfig, type CollectorConfig } from '../../runtime/config';
import type { ApiDeps } from '../deps';
import { ApiError, errorBody } from '../errors';
import { responses } from '../typed-routes';
import { BacklogMonitor } from './backlog';
import { JetStreamPublisher } from './publisher';
import { requestTraceparent } from '../request-telemetry';
import { WriteKeyCache, WriteKeyUnavailable, type CollectorSource } from './write-keys';
import { TokenBuckets } from '../../rules/token-bucket';

/**
 * The HTTP collector: Segment's HTTP Tracking API in front of BRAID_RAW, for
 * clients that cannot speak NATS (contract section 3).
 *
 *   auth (write key → project, channel) → backlog check (429)
 *   → body: gzip/deflate undone by @fastify/compress, at most
 *     BRAID_COLLECTOR_MAX_REQUEST_BYTES before and after (fastify's bodyLimit)
 *   → prepare each event (rules/collector-request)
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
  const rateLimits = config.keyRate ? new TokenBuckets(config.keyRate.perSecond, config.keyRate.burst) : null;
  // A key revoked through the API (on any replica) stops working here at once, not when its cache entry expires.
  const revocations = deps.nc.subscribe(WRITE_KEY_REVOKED_SUBJECT, {
    callback: (error, msg) => {
      if (error) return;
      const keyId = (msg.json() as { keyId?: unknown }).keyId;
      if (typeof keyId === 'string') keys.forget(keyId);
    },
  });

  app.register(
    async (scope) => {
      scope.addHook('onClose', async () => {
        publisher.close();
        revocations.unsubscribe();
      });
      await scope.register(cors, {
        origin: config.corsOrigins,
        methods: ['POST'],
        allowedHeaders: ['Authorization', 'Content-Type', 'Content-Encoding'],
        exposedHeaders: ['Retry-After'],
        maxAge: 86_400,
      });

      // Segment's libraries gzip their batches. @fastify/compress undoes gzip and
      // deflate in preParsing; fastify's bodyLimit then counts the compressed and
      // the decompressed bytes, so a gzip bomb ends at the limit. Answers are
      // small and stay uncompressed. The plugin matches Content-Encoding exactly,
      // so it is normalized first (case, blanks, x-gzip).
      scope.addHook('onRequest', async (request) => {
        const encoding = normalizeContentEncoding(request.headers['content-encoding']);
        if (encoding === undefined) delete request.raw.headers['content-encoding'];
        else request.raw.headers['content-encoding'] = encoding;
      });
      await scope.register(compress, {
        globalCompression: false,
        requestEncodings: ['gzip', 'deflate', 'identity'],
        onUnsupportedRequestEncoding: (encoding) =>
          new ApiError(415, 'unsupported_content_encoding', `Content-Encoding ${encoding} is not supported; send gzip, deflate or none`),
        // The plugin copies this error's enumerable fields onto zlib's, so they are plain fields here.
        onInvalidRequestPayload: (encoding, _request, error) =>
          Object.assign(new Error(), { statusCode: 400, code: 'FST_CP_ERR_INVALID_CONTENT', message: `the body is not valid ${encoding}: ${error.message}` }),
      });
      // Any Content-Type (beacons send text/plain): the body is JSON whatever the header says.
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => {
        const parsed = parseRequestBody(body as Buffer);
        if (parsed.kind === 'invalid') done(new ApiError(400, parsed.code, parsed.message), undefined);
        else done(null, parsed.value);
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
        scope.post(
          `/${route}`,
          {
            bodyLimit: config.maxRequestBytes,
            schema: {
              summary: route === 'batch' ? 'Segment batch: `{"batch": [event, …]}`, gzip allowed' : `One Segment \`${route}\` event`,
              description: 'Each event is checked against the envelope; the valid ones are published to BRAID_RAW even when others of a batch are not, and the answer says which.',
              security: [{ writeKey: [] }],
              response: responses({
                200: 'every event of the request accepted by JetStream',
                400: 'a malformed body or events (details: accepted and rejected events with reasons)',
                401: 'no write key, or an unknown or revoked one',
                413: `a body over ${config.maxRequestBytes} bytes (after decompression), or events over 32 KiB`,
                415: 'a Content-Encoding other than gzip or deflate',
                429: 'ingestion is behind its bound; retry after Retry-After',
                503: 'NATS or Postgres unreachable, or events JetStream did not confirm; retry after Retry-After',
              }),
            },
          },
          (request, reply) => collect(route, request, reply),
        );
      }
    },
    { prefix: '/v1', logLevel: 'warn' },
  );

  async function collect(route: CollectorRoute, request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    const receivedAt = new Date().toISOString();
    const source = request.collectorSource as CollectorSource;
    const prepared = prepareEvents(route, request.body, randomUUID);
    if (prepared.kind === 'invalid') throw new ApiError(400, prepared.code, prepared.message);
    if (rateLimits && prepared.ready.length > 0) {
      const taken = rateLimits.take(source.keyId ?? `${source.projectId}/${source.channel}`, prepared.ready.length, Date.now());
      if (!taken.ok) {
        reply.header('Retry-After', String(taken.retryAfterSeconds));
        throw new ApiError(429, 'rate_limited', `this write key may send ${config.keyRate?.perSecond} events per second (bursts of ${config.keyRate?.burst}); retry after ${taken.retryAfterSeconds} s`, {
          limitPerSecond: config.keyRate?.perSecond,
          burst: config.keyRate?.burst,
          events: prepared.ready.length,
        });
      }
    }

    let answer: CollectorAnswer;
    if (prepared.ready.length > 0 && !publisher.available) {
      answer = unpublishedAnswer(prepared.rejected);
    } else {
      const published = await publisher.publish(rawSubject(source.projectId, source.channel), prepared.ready, receivedAt, requestTraceparent(request));
      if (published.unconfirmed.length > 0) {
        request.log.warn(
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
