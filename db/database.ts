import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { postgresErrorCode } from './postgres-errors';

/**
 * Creates the database a URL names when it does not exist yet, connecting to
 * the server's `postgres` database to do so. Returns whether it created it
 * (false when it was there, or another process created it meanwhile).
 */
export async function createDatabaseIfMissing(url: URL): Promise<{ database: string; created: boolean }> {
  const database = decodeURIComponent(url.pathname.replace(/^\//, '')) || 'postgres';
  const probe = new pg.Client({ connectionString: url.toString() });
  try {
    await probe.connect();
    return { database, created: false };
  } catch (error) {
    if (postgresErrorCode(error) !== '3D000') throw error; // invalid_catalog_name: the database is missing
  } finally {
    await probe.end().catch(() => undefined);
  }
  const adminUrl = new URL(url.toString());
  adminUrl.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: adminUrl.toString() });
  await admin.connect();
  try {
    await drizzle(admin, { casing: 'snake_case' }).execute(sql`CREATE DATABASE ${sql.identifier(database)}`);
    return { database, created: true };
  } catch (error) {
    if (postgresErrorCode(error) !== '42P04') throw error; // duplicate_database: created concurrently
    return { database, created: false };
  } finally {
    await admin.end();
  }
}

/** Drops the database a URL names, whoever is still connected to it (the benchmark's scratch database). */
export async function dropDatabase(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
  url.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: url.toString() });
  await admin.connect();
  try {
    await drizzle(admin, { casing: 'snake_case' }).execute(sql`DROP DATABASE IF EXISTS ${sql.identifier(name)} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}
