/**
 * The environment tests run under: the `braid_test` database on the server
 * DATABASE_URL names (or the local one), so test rows never mix with
 * `braid up`'s; and a short JetStream duplicate window, so a test can publish
 * a duplicate "beyond the window" within seconds.
 */
export const TEST_ENV: Record<string, string> = {
  DATABASE_URL: testDatabaseUrl(process.env.DATABASE_URL ?? 'postgres://127.0.0.1:5432/braid'),
  BRAID_RAW_DUPLICATE_WINDOW: process.env.BRAID_RAW_DUPLICATE_WINDOW ?? '3s',
  BRAID_LOG_LEVEL: process.env.BRAID_LOG_LEVEL ?? 'warn',
};

function testDatabaseUrl(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  url.pathname = '/braid_test';
  return url.toString();
}
