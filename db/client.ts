import { sql } from 'drizzle-orm';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import * as schema from './schema';

export type Db = NodePgDatabase<typeof schema>;

/** A pool, or one client of it inside a caller's transaction. */
export type Connection = pg.Pool | pg.PoolClient;

// Postgres int8 (counts, sequences) as numbers: every count braid keeps fits in 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

/** The least-privilege database role of each braid process (migration `process_roles`). */
export const PROCESS_ROLES = { ingest: 'braid_ingest', worker: 'braid_worker', api: 'braid_api' } as const;
export type ProcessRole = keyof typeof PROCESS_ROLES;

/**
 * A pool whose connections act as `role` when given: the role is set at
 * connection start (`-c role=…`), before any query, so every statement runs
 * with that role's privileges only.
 */
export function createPool(databaseUrl: string, max = 10, role?: ProcessRole): pg.Pool {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max,
    application_name: role ? `braid-${role}` : 'braid',
    ...(role ? { options: `-c role=${PROCESS_ROLES[role]}` } : {}),
  });
  // An idle client that loses its server (restart, outage) must not crash the process.
  pool.on('error', () => undefined);
  return pool;
}

const handles = new WeakMap<Connection, Db>();

/**
 * The drizzle handle over a pool, or over a client whose transaction the
 * caller runs. Built once per connection object (building one reads the
 * whole schema).
 */
export function createDb(connection: Connection): Db {
  let db = handles.get(connection);
  if (!db) {
    db = drizzle(connection, { schema, casing: 'snake_case' });
    handles.set(connection, db);
  }
  return db;
}

/** Readiness: Postgres answers a query. */
export async function pingPostgres(connection: Connection): Promise<void> {
  await createDb(connection).execute(sql`SELECT 1`);
}
