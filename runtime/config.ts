import { userInfo } from 'node:os';
import { z } from 'zod';
import { SESSION_HOSTINGS } from '../contracts/hosting';

/**
 * Process configuration, parsed once from the environment. A bad value fails
 * fast with a message that names the variable and the rule it broke.
 */
const duration = z
  .string()
  .regex(/^\d+(ms|s|m|h)$/, 'a duration such as 500ms, 30s, 10m or 1h')
  .transform(parseDuration);

const positiveInt = z.coerce.number().int().positive();

const envSchema = z.object({
  DATABASE_URL: z.string().url().default('postgres://127.0.0.1:5432/braid').transform(withDefaultUser),
  NATS_URL: z.string().default('nats://127.0.0.1:4222'),
  /** TLS to NATS: the CA that signed the server's certificate (PEM file); with NATS_TLS_CERT and NATS_TLS_KEY, mutual TLS. */
  NATS_TLS_CA: z.string().optional(),
  NATS_TLS_CERT: z.string().optional(),
  NATS_TLS_KEY: z.string().optional(),
  TEMPORAL_ADDRESS: z.string().optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  /** TLS to Temporal: the server's CA (PEM file), the client pair for mutual TLS, and the name the server's certificate carries. */
  TEMPORAL_TLS_CA: z.string().optional(),
  TEMPORAL_TLS_CERT: z.string().optional(),
  TEMPORAL_TLS_KEY: z.string().optional(),
  TEMPORAL_TLS_SERVER_NAME: z.string().optional(),
  BRAID_HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  BRAID_ADMIN_TOKEN: z.string().min(16, 'at least 16 characters').optional(),
  BRAID_TASK_QUEUE: z.string().min(1).default('braid-sessions'),
  BRAID_LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  /** Where `braid up` keeps the dev Temporal server's database and other local state. */
  BRAID_STATE_DIR: z.string().default('.braid'),
  /** Cache for the Temporal CLI binary, shared by every clone on the machine. */
  BRAID_CACHE_DIR: z.string().optional(),
  BRAID_TEMPORAL_BIN: z.string().optional(),
  /** Port of the dev server `braid up` (or `--dev-server`) starts when TEMPORAL_ADDRESS is unset. */
  BRAID_TEMPORAL_DEV_PORT: z.coerce.number().int().min(1).max(65535).default(7233),
  /** Its web UI's port; 0 runs it without a UI. */
  BRAID_TEMPORAL_UI_PORT: z.coerce.number().int().min(0).max(65535).default(8233),
  /** JetStream's own duplicate window for BRAID_RAW; braid's dedup is forever regardless. */
  BRAID_RAW_DUPLICATE_WINDOW: duration.prefault('2m'),
  /**
   * Copies of BRAID_RAW across the NATS cluster (JetStream's num_replicas): 3 on a three-node
   * cluster keeps every accepted message through the loss of a node. A single server takes only 1.
   * When set, a stream with another count is updated to it at start; unset, a new stream gets 1 and
   * an existing one keeps what it has (e.g. `nats stream edit --replicas 3`).
   */
  BRAID_RAW_REPLICAS: positiveInt.optional(),
  BRAID_INGEST_DURABLE: z.string().regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ and -').default('braid-ingest'),
  BRAID_INGEST_FILTER: z.string().default('braid.raw.>'),
  BRAID_INGEST_FETCH: positiveInt.default(500),
  BRAID_INGEST_LINGER: duration.prefault('250ms'),
  BRAID_INGEST_MAX_GROUP: positiveInt.default(1000),
  BRAID_INGEST_MAX_INFLIGHT_SIGNALS: positiveInt.default(64),
  BRAID_INGEST_MAX_DELIVER: positiveInt.default(10),
  BRAID_INGEST_ACK_WAIT: duration.prefault('60s'),
  BRAID_SESSION_IDLE: duration.prefault('30m'),
  /** `hosted`: device actors on `sessionHosts` host workflows per project; `per-device`: one workflow per device. */
  BRAID_SESSION_HOSTING: z.enum(SESSION_HOSTINGS).default('hosted'),
  /** Messages or lines per replay/backfill chunk (one transaction and checkpoint each). */
  BRAID_OPERATION_CHUNK: positiveInt.default(500),
  /** Where ingest and the worker serve /metrics (and /metrics.json); off when unset. `braid api` serves /metrics on its HTTP port. */
  BRAID_METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  /** Other processes' /metrics.json URLs, comma-separated, that `braid api` merges into its /metrics (`braid up` sets it). */
  BRAID_METRICS_PEERS: z
    .string()
    .transform((s) => s.split(',').map((u) => u.trim()).filter((u) => u.length > 0))
    .pipe(z.array(z.string().url('a URL such as http://127.0.0.1:9464/metrics.json')))
    .optional(),
  /** A prebuilt workflow bundle (see @temporalio/worker bundleWorkflowCode); bundled from source when unset. */
  BRAID_WORKFLOW_BUNDLE: z.string().optional(),
  /**
   * `on`: ingest, worker and API each act as their own least-privilege role
   * (braid_ingest, braid_worker, braid_api) on every connection; DATABASE_URL's
   * user must be a member of it (or a superuser). `off`: they act as that user.
   */
  BRAID_DB_ROLES: z.enum(['on', 'off']).default('on'),
  /**
   * The lake (contract section 6): a directory or `s3://bucket/prefix` the worker keeps a Parquet
   * copy of the canonical events in, continuously; off when unset (`braid up`: .braid/lake). Its
   * rules are rules/lake-layout.ts lakeTarget's, and a bucket's AWS_* variables rules/s3-settings.ts's,
   * checked when the worker starts.
   */
  BRAID_LAKE_URL: z.string().min(1).optional(),
  /** Pause of the continuous lake export once nothing is left to write. */
  BRAID_LAKE_EVERY: duration.prefault('10s'),
  /** Apply pending migrations when a process starts (needs the owner); `false` when `braid migrate` runs as its own step. */
  BRAID_MIGRATE_ON_START: z.enum(['true', 'false']).default('true').transform((v) => v === 'true'),
});

export type Config = z.output<typeof envSchema>;

/**
 * Settings of the HTTP collector (`/v1/*`), read when `braid api` builds its
 * routes. The per-event limit is the contract's MAX_EVENT_BYTES and is not a
 * setting.
 */
const collectorEnvSchema = z.object({
  /** Largest request body, after gzip is undone (the contract's 500 KB). */
  BRAID_COLLECTOR_MAX_REQUEST_BYTES: z.coerce.number().int().min(1024).max(16 * 1024 * 1024).default(500 * 1024),
  /** Backlog (undelivered messages of the lag consumers) above which requests get 429; 0 turns backpressure off. */
  BRAID_COLLECTOR_MAX_LAG: z.coerce.number().int().min(0).default(100_000),
  /**
   * Durable consumers on BRAID_RAW whose backlog counts, comma-separated; only
   * those whose filter covers a request's subject apply to it. Default: the
   * ingest consumer (BRAID_INGEST_DURABLE).
   */
  BRAID_COLLECTOR_LAG_CONSUMERS: z
    .string()
    .regex(/^[A-Za-z0-9_-]+(,[A-Za-z0-9_-]+)*$/, 'consumer names (letters, digits, _ and -), comma-separated')
    .transform((s) => s.split(','))
    .optional(),
  /** How long a backlog reading is reused before JetStream is asked again. */
  BRAID_COLLECTOR_LAG_CACHE: duration.prefault('1s'),
  /** Retry-After on 429 and 503 answers. */
  BRAID_COLLECTOR_RETRY_AFTER: duration.prefault('5s'),
  /** How long one request waits for JetStream to ack its events before answering 503. */
  BRAID_COLLECTOR_PUBLISH_TIMEOUT: duration.prefault('5s'),
  /** How long a resolved write key is reused (a revocation through the API reaches every collector at once over NATS). */
  BRAID_COLLECTOR_KEY_CACHE: duration.prefault('10s'),
  /** Events per second one write key may send to one collector process; 0 turns the limit off. */
  BRAID_COLLECTOR_KEY_RATE: z.coerce.number().min(0).default(0),
  /** Events a write key may send at once above its rate (the bucket size); defaults to 10 seconds' worth. */
  BRAID_COLLECTOR_KEY_BURST: z.coerce.number().int().positive().optional(),
  /** Origins browsers may send from: `*` or a comma-separated list of origins. */
  BRAID_COLLECTOR_CORS_ORIGINS: z
    .string()
    .transform((s) => s.split(',').map((o) => o.trim()).filter((o) => o.length > 0))
    .prefault('*'),
  BRAID_INGEST_DURABLE: envSchema.shape.BRAID_INGEST_DURABLE,
});

export interface CollectorConfig {
  maxRequestBytes: number;
  maxLag: number;
  lagConsumers: string[];
  lagCacheMs: number;
  retryAfterMs: number;
  publishTimeoutMs: number;
  keyCacheMs: number;
  /** Per-key limit: events per second and burst; null when off. */
  keyRate: { perSecond: number; burst: number } | null;
  /** `*` for any origin, else the allowed origins. */
  corsOrigins: '*' | string[];
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return parseEnv(envSchema, env);
}

export function loadCollectorConfig(env: NodeJS.ProcessEnv = process.env): CollectorConfig {
  const c = parseEnv(collectorEnvSchema, env);
  return {
    maxRequestBytes: c.BRAID_COLLECTOR_MAX_REQUEST_BYTES,
    maxLag: c.BRAID_COLLECTOR_MAX_LAG,
    lagConsumers: c.BRAID_COLLECTOR_LAG_CONSUMERS ?? [c.BRAID_INGEST_DURABLE],
    lagCacheMs: c.BRAID_COLLECTOR_LAG_CACHE,
    retryAfterMs: c.BRAID_COLLECTOR_RETRY_AFTER,
    publishTimeoutMs: c.BRAID_COLLECTOR_PUBLISH_TIMEOUT,
    keyCacheMs: c.BRAID_COLLECTOR_KEY_CACHE,
    keyRate: c.BRAID_COLLECTOR_KEY_RATE > 0 ? { perSecond: c.BRAID_COLLECTOR_KEY_RATE, burst: c.BRAID_COLLECTOR_KEY_BURST ?? Math.max(1, Math.ceil(c.BRAID_COLLECTOR_KEY_RATE * 10)) } : null,
    corsOrigins: c.BRAID_COLLECTOR_CORS_ORIGINS.includes('*') ? '*' : c.BRAID_COLLECTOR_CORS_ORIGINS,
  };
}

function parseEnv<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv): z.output<S> {
  // An empty or blank variable means "not set", as in most shells' `FOO= cmd`.
  const given = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ''));
  const parsed = schema.safeParse(given);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  return parsed.data;
}

export function parseDuration(text: string): number {
  const match = /^(\d+)(ms|s|m|h)$/.exec(text);
  if (!match) throw new Error(`not a duration: ${text}`);
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[match[2] as 'ms' | 's' | 'm' | 'h'];
  return Number(match[1]) * unit;
}

/**
 * libpq takes the OS user when a URL names none; node-postgres needs USER set
 * for that. Fill it in the same way so the contract's default URL works everywhere.
 */
export function withDefaultUser(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  if (url.username) return databaseUrl;
  url.username = process.env.PGUSER || process.env.USER || userInfo().username;
  return url.toString();
}
