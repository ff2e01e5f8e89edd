import { userInfo } from 'node:os';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigError, loadCollectorConfig, loadConfig, parseDuration, withDefaultUser } from '../../runtime/config';

afterEach(() => {
  vi.unstubAllEnvs();
});

/** Fixes the user withDefaultUser falls back to, whatever machine runs the tests. */
function asUser(name: string): void {
  vi.stubEnv('PGUSER', name);
}

function problemsOf(env: NodeJS.ProcessEnv, load: (env: NodeJS.ProcessEnv) => unknown = loadConfig): string[] {
  try {
    load(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected loadConfig to fail');
}

describe('loadConfig', () => {
  it('fills the contract’s defaults from an empty environment', () => {
    asUser('alice');
    expect(loadConfig({})).toEqual({
      DATABASE_URL: 'postgres://alice@127.0.0.1:5432/braid',
      NATS_URL: 'nats://127.0.0.1:4222',
      TEMPORAL_NAMESPACE: 'default',
      BRAID_HTTP_PORT: 8080,
      BRAID_TASK_QUEUE: 'braid-sessions',
      BRAID_LOG_LEVEL: 'info',
      BRAID_STATE_DIR: '.braid',
      BRAID_RAW_DUPLICATE_WINDOW: 120_000,
      BRAID_INGEST_DURABLE: 'braid-ingest',
      BRAID_INGEST_FILTER: 'braid.raw.>',
      BRAID_INGEST_FETCH: 500,
      BRAID_INGEST_LINGER: 250,
      BRAID_INGEST_MAX_GROUP: 1000,
      BRAID_INGEST_MAX_INFLIGHT_SIGNALS: 64,
      BRAID_INGEST_MAX_DELIVER: 10,
      BRAID_INGEST_ACK_WAIT: 60_000,
      BRAID_SESSION_IDLE: 1_800_000,
      BRAID_SESSION_HOSTING: 'hosted',
      BRAID_OPERATION_CHUNK: 500,
      BRAID_TEMPORAL_DEV_PORT: 7233,
      BRAID_TEMPORAL_UI_PORT: 8233,
      BRAID_DB_ROLES: 'on',
      BRAID_MIGRATE_ON_START: true,
      BRAID_LAKE_EVERY: 10_000,
    });
  });

  it.each([
    [{ BRAID_DB_ROLES: 'off' }, 'BRAID_DB_ROLES', 'off'],
    [{ BRAID_MIGRATE_ON_START: 'false' }, 'BRAID_MIGRATE_ON_START', false],
    [{ BRAID_RAW_REPLICAS: '3' }, 'BRAID_RAW_REPLICAS', 3],
    [{ BRAID_LAKE_URL: '/data/lake' }, 'BRAID_LAKE_URL', '/data/lake'],
    [{ BRAID_LAKE_EVERY: '1m' }, 'BRAID_LAKE_EVERY', 60_000],
  ])('reads %j', (env, key, value) => {
    expect(loadConfig(env)[key as keyof ReturnType<typeof loadConfig>]).toEqual(value);
  });

  it.each([
    [{ BRAID_DB_ROLES: 'yes' }, 'BRAID_DB_ROLES'],
    [{ BRAID_MIGRATE_ON_START: '0' }, 'BRAID_MIGRATE_ON_START'],
    [{ BRAID_RAW_REPLICAS: '0' }, 'BRAID_RAW_REPLICAS'],
    [{ BRAID_RAW_REPLICAS: 'three' }, 'BRAID_RAW_REPLICAS'],
    [{ BRAID_LAKE_EVERY: '10' }, 'BRAID_LAKE_EVERY'],
  ])('refuses %j, naming %s', (env, name) => {
    expect(() => loadConfig(env)).toThrow(name);
  });

  it('leaves TEMPORAL_ADDRESS and BRAID_ADMIN_TOKEN unset by default (braid starts its own dev server, prints a token)', () => {
    const config = loadConfig({});
    expect(config.TEMPORAL_ADDRESS).toBeUndefined();
    expect(config.BRAID_ADMIN_TOKEN).toBeUndefined();
  });

  it('reads process.env when called without an argument', () => {
    vi.stubEnv('BRAID_TASK_QUEUE', 'from-process-env');
    expect(loadConfig().BRAID_TASK_QUEUE).toBe('from-process-env');
  });

  it('ignores variables it does not know', () => {
    expect(loadConfig({ HOME: '/root', BRAID_SOMETHING_NEW: 'x' })).not.toHaveProperty('BRAID_SOMETHING_NEW');
  });

  describe('values that are set', () => {
    it.each([
      { name: 'DATABASE_URL', value: 'postgres://bob:pw@db.internal:6543/analytics', expected: 'postgres://bob:pw@db.internal:6543/analytics' },
      { name: 'NATS_URL', value: 'nats://nats.internal:4222', expected: 'nats://nats.internal:4222' },
      { name: 'TEMPORAL_ADDRESS', value: 'temporal:7233', expected: 'temporal:7233' },
      { name: 'TEMPORAL_NAMESPACE', value: 'braid-prod', expected: 'braid-prod' },
      { name: 'BRAID_HTTP_PORT', value: '9090', expected: 9090 },
      { name: 'BRAID_HTTP_PORT', value: '0', expected: 0 },
      { name: 'BRAID_HTTP_PORT', value: '65535', expected: 65535 },
      { name: 'BRAID_ADMIN_TOKEN', value: 'x'.repeat(16), expected: 'x'.repeat(16) },
      { name: 'BRAID_LOG_LEVEL', value: 'silent', expected: 'silent' },
      { name: 'BRAID_INGEST_DURABLE', value: 'braid_ingest-2', expected: 'braid_ingest-2' },
      { name: 'BRAID_INGEST_FETCH', value: '1', expected: 1 },
      { name: 'BRAID_INGEST_MAX_DELIVER', value: '25', expected: 25 },
      { name: 'BRAID_RAW_DUPLICATE_WINDOW', value: '3s', expected: 3_000 },
      { name: 'BRAID_INGEST_LINGER', value: '0ms', expected: 0 },
      { name: 'BRAID_INGEST_ACK_WAIT', value: '2m', expected: 120_000 },
      { name: 'BRAID_SESSION_IDLE', value: '1h', expected: 3_600_000 },
    ])('$name=$value → $expected', ({ name, value, expected }) => {
      expect(loadConfig({ [name]: value })[name as keyof ReturnType<typeof loadConfig>]).toBe(expected);
    });
  });

  describe('a bad value fails fast and names the variable', () => {
    it.each([
      { name: 'BRAID_INGEST_LINGER', value: '250', rule: 'a duration such as 500ms, 30s, 10m or 1h' },
      { name: 'BRAID_INGEST_LINGER', value: '1.5s', rule: 'a duration such as 500ms, 30s, 10m or 1h' },
      { name: 'BRAID_INGEST_ACK_WAIT', value: '-1s', rule: 'a duration such as 500ms, 30s, 10m or 1h' },
      { name: 'BRAID_SESSION_IDLE', value: '30 m', rule: 'a duration such as 500ms, 30s, 10m or 1h' },
      { name: 'BRAID_SESSION_IDLE', value: '1d', rule: 'a duration such as 500ms, 30s, 10m or 1h' },
      { name: 'BRAID_RAW_DUPLICATE_WINDOW', value: '2M', rule: 'a duration such as 500ms, 30s, 10m or 1h' },
      { name: 'BRAID_ADMIN_TOKEN', value: 'short', rule: 'at least 16 characters' },
      { name: 'BRAID_INGEST_DURABLE', value: 'braid.ingest', rule: 'letters, digits, _ and -' },
      { name: 'DATABASE_URL', value: 'not a url', rule: '' },
      { name: 'BRAID_HTTP_PORT', value: '70000', rule: '' },
      { name: 'BRAID_HTTP_PORT', value: 'http', rule: '' },
      { name: 'BRAID_HTTP_PORT', value: '80.5', rule: '' },
      { name: 'BRAID_INGEST_FETCH', value: '0', rule: '' },
      { name: 'BRAID_INGEST_MAX_GROUP', value: '-5', rule: '' },
      { name: 'BRAID_INGEST_MAX_INFLIGHT_SIGNALS', value: 'many', rule: '' },
      { name: 'BRAID_LOG_LEVEL', value: 'verbose', rule: '' },
      { name: 'BRAID_SESSION_HOSTING', value: 'per-host', rule: '' },
      { name: 'BRAID_SESSION_HOSTING', value: 'HOSTED', rule: '' },
    ])('$name=$value', ({ name, value, rule }) => {
      const problems = problemsOf({ [name]: value });
      expect(problems).toHaveLength(1);
      expect(problems[0]?.startsWith(`${name}: `)).toBe(true);
      expect(problems[0]).toContain(rule);
    });

    it.each([
      { name: 'BRAID_HTTP_PORT', value: '', expected: 8080 },
      { name: 'BRAID_HTTP_PORT', value: '   ', expected: 8080 },
      { name: 'TEMPORAL_NAMESPACE', value: '', expected: 'default' },
      { name: 'BRAID_TASK_QUEUE', value: ' ', expected: 'braid-sessions' },
      { name: 'BRAID_RAW_DUPLICATE_WINDOW', value: '', expected: 120_000 },
    ])('an empty or blank $name means unset: the default applies', ({ name, value, expected }) => {
      expect(loadConfig({ [name]: value })[name as 'BRAID_HTTP_PORT']).toBe(expected);
    });

    it('reports every bad variable at once, in a readable message', () => {
      let caught: unknown;
      try {
        loadConfig({ BRAID_INGEST_LINGER: '5', BRAID_HTTP_PORT: '70000', BRAID_LOG_LEVEL: 'loud' });
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(ConfigError);
      const error = caught as ConfigError;
      expect(error.name).toBe('ConfigError');
      expect(error.problems.map((p) => p.split(':')[0]).sort()).toEqual(['BRAID_HTTP_PORT', 'BRAID_INGEST_LINGER', 'BRAID_LOG_LEVEL']);
      expect(error.message.startsWith('invalid configuration:\n  - ')).toBe(true);
      for (const p of error.problems) expect(error.message).toContain(`  - ${p}`);
    });
  });
});

describe('loadCollectorConfig', () => {
  it('has the contract defaults', () => {
    expect(loadCollectorConfig({})).toEqual({
      maxRequestBytes: 500 * 1024,
      maxLag: 100_000,
      lagConsumers: ['braid-ingest'],
      lagCacheMs: 1_000,
      retryAfterMs: 5_000,
      publishTimeoutMs: 5_000,
      keyCacheMs: 10_000,
      keyRate: null,
      corsOrigins: '*',
    });
  });

  it.each<[Record<string, string>, { perSecond: number; burst: number } | null]>([
    [{ BRAID_COLLECTOR_KEY_RATE: '0' }, null],
    [{ BRAID_COLLECTOR_KEY_RATE: '50' }, { perSecond: 50, burst: 500 }],
    [{ BRAID_COLLECTOR_KEY_RATE: '0.5' }, { perSecond: 0.5, burst: 5 }],
    [{ BRAID_COLLECTOR_KEY_RATE: '50', BRAID_COLLECTOR_KEY_BURST: '60' }, { perSecond: 50, burst: 60 }],
  ])('per-key rate limit from %o', (env, keyRate) => {
    expect(loadCollectorConfig(env).keyRate).toEqual(keyRate);
  });

  it.each([
    [{ BRAID_COLLECTOR_KEY_RATE: '-1' }, 'BRAID_COLLECTOR_KEY_RATE'],
    [{ BRAID_COLLECTOR_KEY_RATE: '5', BRAID_COLLECTOR_KEY_BURST: '0' }, 'BRAID_COLLECTOR_KEY_BURST'],
  ])('refuses a bad rate limit %o, naming the variable', (env, name) => {
    expect(() => loadCollectorConfig(env)).toThrow(name);
  });

  it('reads process.env when called without an argument', () => {
    vi.stubEnv('BRAID_COLLECTOR_MAX_LAG', '7');
    expect(loadCollectorConfig().maxLag).toBe(7);
  });

  it('follows BRAID_INGEST_DURABLE for the lag consumer and reads lists', () => {
    const c = loadCollectorConfig({ BRAID_INGEST_DURABLE: 'ingest-eu', BRAID_COLLECTOR_CORS_ORIGINS: 'https://a.example, https://b.example' });
    expect(c.lagConsumers).toEqual(['ingest-eu']);
    expect(c.corsOrigins).toEqual(['https://a.example', 'https://b.example']);
  });

  it.each([
    { name: 'BRAID_COLLECTOR_MAX_REQUEST_BYTES', value: '1024', key: 'maxRequestBytes', expected: 1024 },
    { name: 'BRAID_COLLECTOR_MAX_REQUEST_BYTES', value: String(16 * 1024 * 1024), key: 'maxRequestBytes', expected: 16 * 1024 * 1024 },
    { name: 'BRAID_COLLECTOR_MAX_LAG', value: '0', key: 'maxLag', expected: 0 },
    { name: 'BRAID_COLLECTOR_LAG_CONSUMERS', value: 'ingest-a,ingest_b', key: 'lagConsumers', expected: ['ingest-a', 'ingest_b'] },
    { name: 'BRAID_COLLECTOR_LAG_CACHE', value: '200ms', key: 'lagCacheMs', expected: 200 },
    { name: 'BRAID_COLLECTOR_RETRY_AFTER', value: '2s', key: 'retryAfterMs', expected: 2_000 },
    { name: 'BRAID_COLLECTOR_PUBLISH_TIMEOUT', value: '1500ms', key: 'publishTimeoutMs', expected: 1_500 },
    { name: 'BRAID_COLLECTOR_KEY_CACHE', value: '0s', key: 'keyCacheMs', expected: 0 },
    { name: 'BRAID_COLLECTOR_CORS_ORIGINS', value: 'https://a.example, *', key: 'corsOrigins', expected: '*' },
    { name: 'BRAID_COLLECTOR_CORS_ORIGINS', value: ' , ', key: 'corsOrigins', expected: [] },
  ])('$name=$value → $key $expected', ({ name, value, key, expected }) => {
    expect(loadCollectorConfig({ [name]: value })[key as keyof ReturnType<typeof loadCollectorConfig>]).toEqual(expected);
  });

  it.each([
    { name: 'BRAID_COLLECTOR_MAX_LAG', value: '-1', rule: '' },
    { name: 'BRAID_COLLECTOR_MAX_LAG', value: '1.5', rule: '' },
    { name: 'BRAID_COLLECTOR_MAX_REQUEST_BYTES', value: 'lots', rule: '' },
    { name: 'BRAID_COLLECTOR_MAX_REQUEST_BYTES', value: '1023', rule: '' },
    { name: 'BRAID_COLLECTOR_MAX_REQUEST_BYTES', value: String(16 * 1024 * 1024 + 1), rule: '' },
    { name: 'BRAID_COLLECTOR_LAG_CACHE', value: '1 second', rule: 'a duration such as 500ms, 30s, 10m or 1h' },
    { name: 'BRAID_COLLECTOR_RETRY_AFTER', value: '5', rule: 'a duration such as 500ms, 30s, 10m or 1h' },
    { name: 'BRAID_COLLECTOR_PUBLISH_TIMEOUT', value: '-1s', rule: 'a duration such as 500ms, 30s, 10m or 1h' },
    { name: 'BRAID_COLLECTOR_KEY_CACHE', value: '1d', rule: 'a duration such as 500ms, 30s, 10m or 1h' },
    { name: 'BRAID_COLLECTOR_LAG_CONSUMERS', value: 'a b', rule: 'consumer names (letters, digits, _ and -), comma-separated' },
    { name: 'BRAID_COLLECTOR_LAG_CONSUMERS', value: 'a,,b', rule: 'consumer names (letters, digits, _ and -), comma-separated' },
    { name: 'BRAID_INGEST_DURABLE', value: 'braid.ingest', rule: 'letters, digits, _ and -' },
  ])('fails fast naming $name for $value', ({ name, value, rule }) => {
    const problems = problemsOf({ [name]: value }, loadCollectorConfig);
    expect(problems).toHaveLength(1);
    expect(problems[0]?.startsWith(`${name}: `)).toBe(true);
    expect(problems[0]).toContain(rule);
  });

  it('treats an empty or blank variable as unset', () => {
    expect(loadCollectorConfig({ BRAID_COLLECTOR_MAX_LAG: '', BRAID_COLLECTOR_KEY_CACHE: '  ' })).toMatchObject({ maxLag: 100_000, keyCacheMs: 10_000 });
  });

  it('ignores the process settings it does not own, and loadConfig ignores the collector ones', () => {
    expect(loadCollectorConfig({ BRAID_HTTP_PORT: 'not a port' }).maxLag).toBe(100_000);
    expect(loadConfig({ BRAID_COLLECTOR_MAX_LAG: 'lots' })).not.toHaveProperty('BRAID_COLLECTOR_MAX_LAG');
  });
});

describe('parseDuration', () => {
  it.each([
    { text: '0ms', ms: 0 },
    { text: '1ms', ms: 1 },
    { text: '500ms', ms: 500 },
    { text: '0s', ms: 0 },
    { text: '30s', ms: 30_000 },
    { text: '10m', ms: 600_000 },
    { text: '1h', ms: 3_600_000 },
    { text: '24h', ms: 86_400_000 },
    { text: '007s', ms: 7_000 },
    { text: '90m', ms: 5_400_000 },
  ])('$text → $ms ms', ({ text, ms }) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each([
    { text: '' },
    { text: '10' },
    { text: 's' },
    { text: '1.5s' },
    { text: '-1s' },
    { text: '+1s' },
    { text: '1 s' },
    { text: ' 1s' },
    { text: '1s ' },
    { text: '1S' },
    { text: '1d' },
    { text: '1sec' },
    { text: '1m30s' },
    { text: '1e3ms' },
  ])('refuses "$text"', ({ text }) => {
    expect(() => parseDuration(text)).toThrow(`not a duration: ${text}`);
  });
});

describe('withDefaultUser', () => {
  it.each([
    { label: 'no user: adds PGUSER', url: 'postgres://127.0.0.1:5432/braid', expected: 'postgres://alice@127.0.0.1:5432/braid' },
    { label: 'no user, no port', url: 'postgres://db.internal/braid', expected: 'postgres://alice@db.internal/braid' },
    { label: 'password but no user', url: 'postgres://:secret@db/braid', expected: 'postgres://alice:secret@db/braid' },
    { label: 'query string kept', url: 'postgres://db/braid?sslmode=require', expected: 'postgres://alice@db/braid?sslmode=require' },
    { label: 'user present: unchanged', url: 'postgres://bob@db/braid', expected: 'postgres://bob@db/braid' },
    { label: 'user and password present: unchanged', url: 'postgres://bob:pw@db:5432/braid', expected: 'postgres://bob:pw@db:5432/braid' },
    { label: 'user present: returned verbatim, not re-serialised', url: 'postgresql://bob@DB.Example.com/braid', expected: 'postgresql://bob@DB.Example.com/braid' },
  ])('$label', ({ url, expected }) => {
    asUser('alice');
    expect(withDefaultUser(url)).toBe(expected);
  });

  it('falls back to USER when PGUSER is unset', () => {
    vi.stubEnv('PGUSER', '');
    vi.stubEnv('USER', 'carol');
    expect(withDefaultUser('postgres://db/braid')).toBe('postgres://carol@db/braid');
  });

  it('falls back to the OS user when neither PGUSER nor USER is set', () => {
    vi.stubEnv('PGUSER', '');
    vi.stubEnv('USER', '');
    expect(withDefaultUser('postgres://db/braid')).toBe(`postgres://${encodeURIComponent(userInfo().username)}@db/braid`);
  });

  it('loadConfig applies it to DATABASE_URL', () => {
    asUser('dave');
    expect(loadConfig({ DATABASE_URL: 'postgres://db:5432/x' }).DATABASE_URL).toBe('postgres://dave@db:5432/x');
    expect(loadConfig({ DATABASE_URL: 'postgres://erin@db:5432/x' }).DATABASE_URL).toBe('postgres://erin@db:5432/x');
  });

  it('throws on something that is not a URL', () => {
    expect(() => withDefaultUser('127.0.0.1:5432/braid')).toThrow();
  });
});
