import type pg from 'pg';

type Queryable = Pick<pg.PoolClient, 'query'>;

export interface Receipt {
  sourceStream: string;
  sourceSequence: number;
  projectId: string | null;
  channel: string | null;
  receivedAt: string;
}

/** Records that messages were accepted, once per source position however often they are delivered. */
export async function insertReceipts(db: Queryable, receipts: readonly Receipt[]): Promise<void> {
  if (receipts.length === 0) return;
  const rows = receipts.map((r) => ({
    source_stream: r.sourceStream,
    source_sequence: r.sourceSequence,
    project_id: r.projectId,
    channel: r.channel,
    received_at: r.receivedAt,
  }));
  await db.query(
    `INSERT INTO braid.receipts (source_stream, source_sequence, project_id, channel, received_at)
     SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(source_stream text, source_sequence bigint, project_id text,
       channel text, received_at timestamptz)
     ORDER BY source_stream, source_sequence
     ON CONFLICT DO NOTHING`,
    [JSON.stringify(rows)],
  );
}
