import pg from 'pg';

/**
 * The SQLSTATE of a Postgres error (`23505`, `42P01`, …), also when drizzle
 * wrapped it (DrizzleQueryError keeps the driver's error as `cause`);
 * undefined when `error` did not come from Postgres.
 */
export function postgresErrorCode(error: unknown): string | undefined {
  for (let e = error, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth += 1) {
    if (e instanceof pg.DatabaseError) return e.code;
  }
  return undefined;
}
