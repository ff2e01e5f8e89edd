import type pg from 'pg';
import type { OperationCounts, OperationKind, OperationStatus } from '../contracts/operations';

export interface OperationRecord {
  id: string;
  kind: OperationKind;
  projectId: string;
  status: OperationStatus;
  params: Record<string, unknown>;
  position: number;
  cursor: Record<string, unknown>;
  total: number | null;
  counts: OperationCounts;
  error: string | null;
  workflowId: string;
  requestedBy: string | null;
  createdAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
}

type Queryable = Pick<pg.PoolClient, 'query'>;

interface Row {
  id: string;
  kind: OperationKind;
  project_id: string;
  status: OperationStatus;
  params: Record<string, unknown>;
  position: number;
  cursor: Record<string, unknown>;
  total: number | null;
  counts: OperationCounts;
  error: string | null;
  workflow_id: string;
  requested_by: string | null;
  created_at: Date;
  updated_at: Date;
  finished_at: Date | null;
}

const toRecord = (r: Row): OperationRecord => ({
  id: r.id,
  kind: r.kind,
  projectId: r.project_id,
  status: r.status,
  params: r.params,
  position: r.position,
  cursor: r.cursor,
  total: r.total,
  counts: r.counts,
  error: r.error,
  workflowId: r.workflow_id,
  requestedBy: r.requested_by,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  finishedAt: r.finished_at,
});

export async function insertOperation(
  db: Queryable,
  op: {
    id: string;
    kind: OperationKind;
    projectId: string;
    params: Record<string, unknown>;
    workflowId: string;
    requestedBy: string | null;
    counts: OperationCounts;
    cursor?: Record<string, unknown>;
  },
): Promise<void> {
  await db.query(
    `INSERT INTO braid.operations (id, kind, project_id, status, params, counts, workflow_id, requested_by, cursor)
     VALUES ($1, $2, $3, 'pending', $4, $5, $6, $7, $8)`,
    [op.id, op.kind, op.projectId, op.params, op.counts, op.workflowId, op.requestedBy, op.cursor ?? {}],
  );
}

export async function getOperation(db: Queryable, id: string, kind?: OperationKind): Promise<OperationRecord | null> {
  const res = await db.query<Row>('SELECT * FROM braid.operations WHERE id = $1 AND ($2::text IS NULL OR kind = $2)', [id, kind ?? null]);
  return res.rows[0] ? toRecord(res.rows[0]) : null;
}

/** Locks the operation's row for the rest of the transaction (one chunk at a time). */
export async function lockOperation(db: Queryable, id: string): Promise<OperationRecord | null> {
  const res = await db.query<Row>('SELECT * FROM braid.operations WHERE id = $1 FOR UPDATE', [id]);
  return res.rows[0] ? toRecord(res.rows[0]) : null;
}

/** Moves the checkpoint and adds to the counts, in the caller's transaction. */
export async function advanceOperation(
  db: Queryable,
  id: string,
  position: number,
  delta: Partial<OperationCounts>,
  total?: number | null,
  cursor?: Record<string, unknown>,
): Promise<OperationRecord> {
  const res = await db.query<Row>(
    `UPDATE braid.operations o SET position = $2, cursor = COALESCE($5::jsonb, o.cursor),
       counts = (SELECT jsonb_object_agg(k, COALESCE((o.counts->>k)::bigint, 0) + COALESCE((d.delta->>k)::bigint, 0))
                 FROM jsonb_object_keys(o.counts || d.delta) AS k),
       total = COALESCE($4, o.total), updated_at = now()
     FROM (SELECT $3::jsonb AS delta) d
     WHERE o.id = $1 RETURNING o.*`,
    [id, position, JSON.stringify(delta), total ?? null, cursor === undefined ? null : JSON.stringify(cursor)],
  );
  return toRecord(res.rows[0] as Row);
}

const TERMINAL: OperationStatus[] = ['completed', 'failed', 'cancelled'];

/** Sets the status; a finished operation keeps its final status. */
export async function setOperationStatus(db: Queryable, id: string, status: OperationStatus, error: string | null = null): Promise<void> {
  await db.query(
    `UPDATE braid.operations SET status = $2, error = COALESCE($3, error), updated_at = now(),
       finished_at = CASE WHEN $2 = ANY($4::text[]) THEN now() ELSE finished_at END,
       -- a finished erasure keeps no erased data: the ids it worked on go
       cursor = CASE WHEN kind = 'erasure' AND $2 = ANY($4::text[]) THEN '{}'::jsonb ELSE cursor END
     WHERE id = $1 AND NOT (status = ANY($4::text[]))`,
    [id, status, error, TERMINAL],
  );
}

export async function setOperationTotal(db: Queryable, id: string, total: number): Promise<void> {
  await db.query('UPDATE braid.operations SET total = $2, updated_at = now() WHERE id = $1', [id, total]);
}

/** The newest operations, optionally of one kind and project: what the console lists with their progress. */
export async function listOperations(db: Queryable, filter: { kind?: OperationKind; projectId?: string; limit: number }): Promise<OperationRecord[]> {
  const res = await db.query<Row>(
    `SELECT * FROM braid.operations
     WHERE ($1::text IS NULL OR kind = $1) AND ($2::text IS NULL OR project_id = $2)
     ORDER BY created_at DESC LIMIT $3`,
    [filter.kind ?? null, filter.projectId ?? null, filter.limit],
  );
  return res.rows.map(toRecord);
}
