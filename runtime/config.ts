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
  TEMPORAL_ADDRESS: z.string().optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  BRAID_HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  BRAID_ADMIN_TOKEN: z.string().min(16, 'at least 16 characters').optional(),
  BRAID_TASK_QUEUE: z.string().min(1).default('braid-sessions'),
  BRAID_LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  /** Where `braid up` keeps the dev Temporal server's database and other local state. */
  BRAID_STATE_DIR: z.string().default('.braid'),
  /** Cache for the Temporal CLI binary, shared by every clone on the machine. */
  BRAID_CACHE_DIR: z.string().optional(),
  BRAID_TEMPORAL_BIN: z.string().optional(),
  /** JetStream's own duplicate window for BRAID_RAW; braid's dedup is forever regardless. */
  BRAID_RAW_DUPLICATE_WINDOW: duration.prefault('2m'),
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
  /** A prebuilt workflow bundle (see @temporalio/worker bundleWorkflowCode); bundled from source when unset. */
  BRAID_WORKFLOW_BUNDLE: z.string().optional(),
});

export type Config = z.output<typeof envSchema>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty or blank variable means "not set", as in most shells' `FOO= cmd`.
  const given = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ''));
  const parsed = envSchema.safeParse(given);
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
