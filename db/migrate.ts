import { join } from 'node:path';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import type pg from 'pg';

export const MIGRATIONS_FOLDER = join(__dirname, 'migrations');

/**
 * Applies the committed migrations (drizzle-kit generated SQL plus the custom
 * SQL for views). An advisory lock serializes concurrent callers (several
 * processes or test files starting at once).
 */
export async function runMigrations(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query(`SELECT pg_advisory_lock(hashtext('braid:migrations'))`);
    try {
      await migrate(drizzle(client, { casing: 'snake_case' }), { migrationsFolder: MIGRATIONS_FOLDER, migrationsSchema: 'braid_migrations' });
    } finally {
      await client.query(`SELECT pg_advisory_unlock(hashtext('braid:migrations'))`);
    }
  } finally {
    client.release();
  }
}
