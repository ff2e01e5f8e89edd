import { sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import { columnList, columnsExcept, qualifiedList, recordset, type RecordsetRow } from './bulk';
import { createDb, type Connection } from './client';
import { duplicates } from './schema';

const DUPLICATE_KEYS = columnsExcept(duplicates, ['detectedAt']);
export type DuplicateRow = RecordsetRow<typeof duplicates, (typeof DUPLICATE_KEYS)[number]>;

/** Counts messages whose messageId the project already had, once per source position. Returns how many rows are new. */
export async function insertDuplicates(connection: Connection, rows: readonly DuplicateRow[]): Promise<number> {
  if (rows.length === 0) return 0;
  const x = alias(duplicates, 'x');
  const res = await createDb(connection).execute(sql`
    INSERT INTO ${duplicates} (${columnList(duplicates, DUPLICATE_KEYS)})
    SELECT ${qualifiedList(x, DUPLICATE_KEYS)} FROM ${recordset(x, DUPLICATE_KEYS, rows)}
    ORDER BY ${x.sourceStream}, ${x.sourceSequence}
    ON CONFLICT DO NOTHING`);
  return res.rowCount ?? 0;
}
