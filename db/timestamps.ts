import { sql, type Column, type SQL } from 'drizzle-orm';
import pg from 'pg';

/**
 * node-postgres's own reading of a timestamptz's text. drizzle hands the
 * text to `new Date()` instead, which reads year 50 as 1950 and a BC date
 * not at all; braid keeps event times of any age, so it reads them as
 * node-postgres does.
 */
export const parseTimestamptz = pg.types.getTypeParser(pg.types.builtins.TIMESTAMPTZ) as (text: string) => Date;

/** A timestamptz column to select, read with node-postgres's parser. */
export function timestampOf(column: Column): SQL<Date> {
  return sql<Date>`${column}`.mapWith(parseTimestamptz);
}
