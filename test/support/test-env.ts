import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * The environment tests run under. Each test run gets a database of its own
 * (`braid_test_<random>` on the server DATABASE_URL names, or the local one),
 * migrated from scratch and dropped at the end, so a run never depends on what
 * an earlier run, a crashed run or a developer left behind. A short JetStream
 * duplicate window lets a test publish a duplicate "beyond the window" within
 * seconds.
 */
export function testEnv(databaseName: string): Record<string, string> {
  return {
    DATABASE_URL: databaseUrlNamed(process.env.DATABASE_URL ?? 'postgres://127.0.0.1:5432/braid', databaseName),
    BRAID_RAW_DUPLICATE_WINDOW: process.env.BRAID_RAW_DUPLICATE_WINDOW ?? '3s',
    BRAID_LOG_LEVEL: process.env.BRAID_LOG_LEVEL ?? 'warn',
  };
}

export function newTestDatabaseName(): string {
  return `braid_test_${randomBytes(4).toString('hex')}`;
}

export function databaseUrlNamed(databaseUrl: string, name: string): string {
  const url = new URL(databaseUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Drops the database DATABASE_URL names, whoever is still connected to it. */
export async function dropDatabase(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const name = url.pathname.slice(1);
  url.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: url.toString() });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}
