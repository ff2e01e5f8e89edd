import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { createGunzip, createInflate } from 'node:zlib';
import cors from '@fastify/cors';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Events, headers as natsHeaders, type JetStreamClient, type JetStreamManager, type NatsConnection } from 'nats';
import type pg from 'pg';
import { resolveWriteKey } from '../../db/write-keys';
import { RAW_STREAM, rawSubject } from '../../contracts/wire';
import { RECEIVED_AT_HEADER } from '../../contracts/wire';
import {
  COLLECTOR_ROUTES,
  parseRequestBody,
  prepareEvents,
  publishedAnswer,
  unpublishedAnswer,
  writeKeyFromAuthorization,
  type CollectorAnswer,
  type CollectorRoute,
  type PublishOutcome,
  type ReadyEvent,
} from '../../rules/collector-request';
import { subjectMatches } from '../../rules/subject-filter';
import { loadCollectorConfig, type CollectorConfig } from '../../runtime/config';
import type { ApiDeps } from '../deps';
import { ApiError, errorBody } from '../errors';

/**
 * The HTTP collector: Segment's HTTP Tracking API in front of BRAID_RAW, for
 * clients that cannot speak NATS (contract section 3).
 *
 *   auth (write key → project, channel) → backlog check (429)
 *   → read body (gzip, 500 KB) → prepare each event (rules/collector-request)
 *   → publish the valid ones to JetStream → answer once every ack is in.
 */

export interface CollectorSource {
  projectId: string;
  channel: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    collectorSource?: CollectorSource;
  }
}

// ---------------------------------------------------------------------------
// Effects: write keys, backlog, body, publishing

/**
 * Resolved write keys, reused for `ttlMs` so a request costs no database
 * round trip; one lookup per key at a time. When Postgres cannot be asked, a
 * key resolved before keeps working (events still reach JetStream, which is
 * what matters here); an unknown key then gets a retryable 503.
 */
class WriteKeyCache {
  private readonly known = new Map<string, { source: CollectorSource; expiresAt: number }>();
  private readonly lookups = new Map<string, Promise<CollectorSource | null>>();
  private static readonly MAX_ENTRIES = 10_000;

  constructor(
    private readonly pool: pg.Pool,
    private readonly ttlMs: number,
  ) {}

  async resolve(key: string): Promise<CollectorSource | null> {
    const hit = this.known.get(key);
    if (hit && hit.expiresAt > Date.now()) return hit.source;
    let lookup = this.lookups.get(key);
    if (!lookup) {
      lookup = resolveWriteKey(this.pool, key).finally(() => this.lookups.delete(key));
      this.lookups.set(key, lookup);
    }
    let source: CollectorSource | null;
    try {
      source = await lookup;
    } catch {
      if (hit) return hit.source;
      throw new ApiError(503, 'auth_unavailable', 'write keys cannot be checked right now (database unreachable); retry later');
    }
    if (source === null) this.known.delete(key);
    else if (this.ttlMs > 0) {
      if (this.known.size >= WriteKeyCache.MAX_ENTRIES) this.known.clear();
      this.known.set(key, { source, expiresAt: Date.now() + this.ttlMs });
    }
    return source;
  }
}

interface ConsumerBacklog {
  filters: string[];
  pending: number;
}

/**
 * The backlog of the ingest consumers, read from JetStream at most once per
 * `cacheMs` (one reading is shared by every request meanwhile). A request's
 * backlog is the largest `num_pending` among the named consumers whose filter
 * covers its subject. When JetStream cannot be asked, the last reading stands.
 */
export class BacklogMonitor {
  private readings: ConsumerBacklog[] | null = null;
  private readAt = 0;
  private refreshing: Promise<void> | null = null;
  private jsm: JetStreamManager | null = null;

  constructor(
    private readonly nc: NatsConnection,
    private readonly consumers: readonly string[],
    private readonly cacheMs: number,
  ) {}

  async backlog(subject: string): Promise<number> {
    if (Date.now() - this.readAt >= this.cacheMs && !this.refreshing) {
      this.refreshing = this.refresh().finally(() => {
        this.refreshing = null;
      });
    }
    // Under steady traffic a reading is renewed in the background; after a
    // quiet spell (or at the start) the request waits for a fresh one.
    if (this.readings === null || Date.now() - this.readAt >= 2 * this.cacheMs) await this.refreshing;
    let max = 0;
    for (const c of this.readings ?? []) {
      if (c.pending > max && (c.filters.length === 0 || c.filters.some((f) => subjectMatches(f, subject)))) max = c.pending;
    }
    return max;
  }

  private async refresh(): Promise<void> {
    try {
      this.jsm ??= await this.nc.jetstreamManager({ timeout: 2_000 });
      const jsm = this.jsm;
      const infos = await Promise.all(this.consumers.map((name) => jsm.consumers.info(RAW_STREAM, name).catch(() => null)));
      this.readings = infos.flatMap((info) => {
        if (!info) return [];
        const filters = [...(info.config.filter_subjects ?? []), ...(info.config.filter_subject ? [info.config.filter_subject] : [])];
        return [{ filters, pending: info.num_pending }];
      });
    } catch {
      this.readings ??= [];
    } finally {
      this.readAt = Date.now();
    }
  }
}

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

/** Publishes events concurrently (in index order on the wire) and waits for every JetStream ack or failure. */
async function publishEvents(js: JetStreamClient, subject: string, events: ReadyEvent[], receivedAt: string, timeoutMs: number): Promise<PublishOutcome> {
  const results = await Promise.allSettled(
    events.map((event) => {
      const h = natsHeaders();
      h.set(RECEIVED_AT_HEADER, receivedAt);
      return js.publish(subject, event.data, { msgID: event.messageId, headers: h, timeout: timeoutMs });
    }),
  );
  const outcome: PublishOutcome = { accepted: [], unconfirmed: [] };
  results.forEach((result, i) => {
    const event = events[i] as ReadyEvent;
    if (result.status === 'fulfilled') outcome.accepted.push(event);
    else outcome.unconfirmed.push({ event, error: String((result.reason as Error)?.message ?? result.reason) });
  });
  return outcome;
}

// ---------------------------------------------------------------------------
// The routes

/** Registers `POST /v1/{track,identify,alias,page,screen,group,batch}` with CORS, in their own scope. */
export function collectorRoutes(app: FastifyInstance, deps: ApiDeps, config: CollectorConfig = loadCollectorConfig()): void {
  const js = deps.nc.jetstream();
  const keys = new WriteKeyCache(deps.pool, config.keyCacheMs);
  const backlog = new BacklogMonitor(deps.nc, config.lagConsumers, config.lagCacheMs);
  const retryAfter = String(Math.max(1, Math.ceil(config.retryAfterMs / 1000)));

  let natsConnected = !deps.nc.isClosed();
  let watching = true;
  void (async () => {
    for await (const s of deps.nc.status()) {
      if (!watching) break;
      if (s.type === Events.Disconnect) natsConnected = false;
      else if (s.type === Events.Reconnect) natsConnected = true;
    }
  })().catch(() => undefined);

  app.register(
    async (scope) => {
      scope.addHook('onClose', async () => {
        watching = false;
      });
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
            try {
              const parsed = parseRequestBody(body);
              if (parsed.kind === 'invalid') done(new ApiError(400, parsed.code, parsed.message), undefined);
              else done(null, parsed.value);
            } catch (error) {
              done(error as Error, undefined);
            }
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
          if (error instanceof ApiError && error.status === 503) reply.header('Retry-After', retryAfter);
          throw error;
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

    let answer: CollectorAnswer;
    if (prepared.ready.length > 0 && (!natsConnected || deps.nc.isClosed())) {
      answer = unpublishedAnswer(prepared.rejected);
    } else {
      const published = await publishEvents(js, rawSubject(source.projectId, source.channel), prepared.ready, receivedAt, config.publishTimeoutMs);
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
