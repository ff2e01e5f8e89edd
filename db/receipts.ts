import { and, count, eq, gte, lte, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import { anyOf, columnList, columnsExcept, qualifiedList, recordset, type RecordsetRow } from './bulk';
import { createDb, type Connection } from './client';
import { receipts } from './schema';

const RECEIPT_KEYS = columnsExcept(receipts, ['recordedAt']);
/** An accepted message: where it came from, its project and channel when known, when it arrived. */
export type Receipt = RecordsetRow<typeof receipts, (typeof RECEIPT_KEYS)[number]>;

/** Records that messages were accepted, once per source position however often they are delivered. */
export async function insertReceipts(connection: Connection, rows: readonly Receipt[]): Promise<void> {
  if (rows.length === 0) return;
  const x = alias(receipts, 'x');
  await createDb(connection).execute(sql`
    INSERT INTO ${receipts} (${columnList(receipts, RECEIPT_KEYS)})
    SELECT ${qualifiedList(x, RECEIPT_KEYS)} FROM ${recordset(x, RECEIPT_KEYS, rows)}
    ORDER BY ${x.sourceStream}, ${x.sourceSequence}
    ON CONFLICT DO NOTHING`);
}

/** Messages a project received in a time range (of some channels only, when given). */
export async function countReceipts(connection: Connection, range: { projectId: string; from: string; to: string; channels?: readonly string[] | null }): Promise<number> {
  const [row] = await createDb(connection)
    .select({ n: count() })
    .from(receipts)
    .where(
      and(
        eq(receipts.projectId, range.projectId),
        gte(receipts.receivedAt, sql`${range.from}::timestamptz`),
        lte(receipts.receivedAt, sql`${range.to}::timestamptz`),
        range.channels ? anyOf(receipts.channel, range.channels) : undefined,
      ),
    );
  return row?.n ?? 0;
}
