import { sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import { columnList, columnsExcept, qualifiedList, recordset, type RecordsetRow } from './bulk';
import { createDb, type Connection } from './client';
import { suppressions } from './schema';

const SUPPRESSION_KEYS = columnsExcept(suppressions, ['recordedAt']);
export type SuppressionRow = RecordsetRow<typeof suppressions, (typeof SUPPRESSION_KEYS)[number]>;

/** Records messages dropped for consent or erasure, once per source position. Returns how many rows are new. */
export async function insertSuppressions(connection: Connection, rows: readonly SuppressionRow[]): Promise<number> {
  if (rows.length === 0) return 0;
  const x = alias(suppressions, 'x');
  const res = await createDb(connection).execute(sql`
    INSERT INTO ${suppressions} (${columnList(suppressions, SUPPRESSION_KEYS)})
    SELECT ${qualifiedList(x, SUPPRESSION_KEYS)} FROM ${recordset(x, SUPPRESSION_KEYS, rows)}
    ORDER BY ${x.sourceStream}, ${x.sourceSequence}
    ON CONFLICT DO NOTHING`);
  return res.rowCount ?? 0;
}
