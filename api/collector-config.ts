import { z } from 'zod';
import { ConfigError, parseDuration } from '../runtime/config';

/**
 * Settings of the HTTP collector (`/v1/*`), parsed once from BRAID_COLLECTOR_*
 * when the API is built. A bad value fails fast naming the variable, as the
 * process configuration does. The per-event limit is the contract's
 * MAX_EVENT_BYTES and is not a setting.
 */
const duration = z
  .string()
  .regex(/^\d+(ms|s|m|h)$/, 'a duration such as 500ms, 30s, 10m or 1h')
  .transform(parseDuration);

const collectorEnvSchema = z.object({
  /** Largest request body, after gzip is undone (the contract's 500 KB). */
  BRAID_COLLECTOR_MAX_REQUEST_BYTES: z.coerce.number().int().min(1024).max(16 * 1024 * 1024).default(500 * 1024),
  /** Backlog (undelivered messages of the lag consumers) above which requests get 429; 0 turns backpressure off. */
  BRAID_COLLECTOR_MAX_LAG: z.coerce.number().int().min(0).default(100_000),
  /**
   * Durable consumers on BRAID_RAW whose backlog counts, comma-separated; only
   * those whose filter covers a request's subject apply to it. Default: the
   * ingest consumer (BRAID_INGEST_DURABLE, else `braid-ingest`).
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
  /** How long a resolved write key is reused; a revoked key stops working within this time. */
  BRAID_COLLECTOR_KEY_CACHE: duration.prefault('10s'),
  /** Origins browsers may send from: `*` or a comma-separated list of origins. */
  BRAID_COLLECTOR_CORS_ORIGINS: z
    .string()
    .transform((s) => s.split(',').map((o) => o.trim()).filter((o) => o.length > 0))
    .prefault('*'),
  BRAID_INGEST_DURABLE: z.string().optional(),
});

export interface CollectorConfig {
  maxRequestBytes: number;
  maxLag: number;
  lagConsumers: string[];
  lagCacheMs: number;
  retryAfterMs: number;
  publishTimeoutMs: number;
  keyCacheMs: number;
  /** `*` for any origin, else the allowed origins. */
  corsOrigins: '*' | string[];
}

export function loadCollectorConfig(env: NodeJS.ProcessEnv = process.env): CollectorConfig {
  const given = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ''));
  const parsed = collectorEnvSchema.safeParse(given);
  if (!parsed.success) throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  const c = parsed.data;
  return {
    maxRequestBytes: c.BRAID_COLLECTOR_MAX_REQUEST_BYTES,
    maxLag: c.BRAID_COLLECTOR_MAX_LAG,
    lagConsumers: c.BRAID_COLLECTOR_LAG_CONSUMERS ?? [c.BRAID_INGEST_DURABLE ?? 'braid-ingest'],
    lagCacheMs: c.BRAID_COLLECTOR_LAG_CACHE,
    retryAfterMs: c.BRAID_COLLECTOR_RETRY_AFTER,
    publishTimeoutMs: c.BRAID_COLLECTOR_PUBLISH_TIMEOUT,
    keyCacheMs: c.BRAID_COLLECTOR_KEY_CACHE,
    corsOrigins: c.BRAID_COLLECTOR_CORS_ORIGINS.includes('*') ? '*' : c.BRAID_COLLECTOR_CORS_ORIGINS,
  };
}
