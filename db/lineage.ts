import { eq, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import { columnList, columnsExcept, qualifiedList, recordset, type RecordsetRow } from './bulk';
import { createDb, type Connection } from './client';
import { lineage, projects } from './schema';
import { writeTables } from './write-tables';

/** What a write says of each row: all but the id and the time Postgres stamps. */
const LINEAGE_KEYS = columnsExcept(lineage, ['id', 'rulesVersion', 'writtenAt']);
const ROW_KEYS = [...LINEAGE_KEYS, 'rulesVersion'] as const;
export type LineageRow = RecordsetRow<typeof lineage, (typeof ROW_KEYS)[number]>;

/**
 * Records one lineage row per written event, with the rules version that
 * decided it: a canary arm's, given on the row, else the project's as of this
 * transaction. A replay writes an event's lineage once (lineage_replay_once).
 */
export async function insertLineage(connection: Connection, schema: string, rows: readonly LineageRow[]): Promise<void> {
  if (rows.length === 0) return;
  const t = writeTables(schema).lineage;
  const x = alias(t, 'x');
  const p = alias(projects, 'p');
  await createDb(connection).execute(sql`
    INSERT INTO ${t} (${columnList(t, LINEAGE_KEYS)}, ${columnList(t, ['rulesVersion'])})
    SELECT ${qualifiedList(x, LINEAGE_KEYS)}, COALESCE(${x.rulesVersion}, ${p.rulesVersion})
    FROM ${recordset(x, ROW_KEYS, rows)} LEFT JOIN ${projects} AS ${p} ON ${eq(p.projectId, x.projectId)}
    ON CONFLICT DO NOTHING`);
}
