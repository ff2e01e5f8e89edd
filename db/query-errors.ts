import { DrizzleQueryError } from 'drizzle-orm';

/**
 * The driver's error behind a failed statement. drizzle's DrizzleQueryError
 * repeats the statement and every parameter in its message: for a bulk write
 * the whole batch of event data. Where an error leaves braid (a log line, an
 * activity failure Temporal keeps in a workflow's history) the driver's own
 * error goes instead, as it did before drizzle ran the statements.
 */
export function driverError(error: unknown): unknown {
  return error instanceof DrizzleQueryError && error.cause !== undefined ? error.cause : error;
}
