import type pg from 'pg';
import type { OperationRecord } from '../../db/operations';
import { subjectHash } from '../../db/secrets';
import { RAW_STREAM } from '../../contracts/wire';
import type { ChunkOutcome, OperationDeps } from './chunk';

export const ERASURE_MODES = ['suppress', 'suppress_and_delete', 'delete', 'unsuppress'] as const;
export type ErasureMode = (typeof ERASURE_MODES)[number];

export interface ErasureParams {
  mode: ErasureMode;
  /** SHA-256 of the subject as asked: the audit keeps no erased data. */
  subject: string;
}

type Id = { kind: 'user' | 'anonymous'; id: string };

/**
 * Resolves the subject to every id linked to it (kept only in the running
 * operation's cursor, cleared when it finishes) and puts the ids on the
 * suppression list, so live session workflows stop writing them before any
 * deletion starts: `suppress` for good, `erasing` only while a delete runs.
 * `unsuppress` takes them off.
 */
export async function prepareErasure(deps: OperationDeps, op: OperationRecord, target: Id): Promise<Id[]> {
  const params = op.params as unknown as ErasureParams;
  const res = await deps.pool.query<{ kind: 'user' | 'anonymous'; id: string }>(
    `SELECT kind, id FROM braid.identities WHERE project_id = $1 AND person_id IN (
       SELECT person_id FROM braid.identities WHERE project_id = $1 AND kind = $2 AND id = $3
       UNION SELECT $3 WHERE $2 = 'person')`,
    [op.projectId, target.kind, target.id],
  );
  const ids: Id[] = res.rows.length > 0 ? res.rows : target.kind === ('person' as string) ? [] : [target];
  const hashes = ids.map((i) => subjectHash(op.projectId, i.kind, i.id));
  if (params.mode === 'unsuppress') {
    await deps.pool.query(`DELETE FROM braid.erased_subjects WHERE project_id = $1 AND subject_id = ANY($2::text[])`, [op.projectId, hashes]);
  } else {
    const state = params.mode === 'delete' ? 'erasing' : 'suppress';
    await deps.pool.query(
      `INSERT INTO braid.erased_subjects (project_id, kind, subject_id, operation_id, state)
       SELECT $1, k, h, $4, $5 FROM unnest($2::text[], $3::text[]) AS x(k, h)
       ON CONFLICT (project_id, kind, subject_id) DO UPDATE SET state = CASE WHEN braid.erased_subjects.state = 'suppress' THEN 'suppress' ELSE EXCLUDED.state END`,
      [op.projectId, ids.map((i) => i.kind), hashes, op.id, state],
    );
  }
  return ids;
}

/**
 * Deletes the subject everywhere braid keeps it: canonical events, lineage,
 * sessions, identities and links, rejected messages, duplicates and consent
 * records, and their raw messages in BRAID_RAW (by the sequences lineage,
 * rejections and duplicates recorded), so a later replay cannot bring them
 * back. Two passes, the second a moment later, catch a drain that was in
 * flight when the suppression began. Idempotent: a pass that finds nothing
 * deletes nothing.
 */
export async function processErasureChunk(deps: OperationDeps, client: pg.PoolClient, op: OperationRecord): Promise<ChunkOutcome> {
  const params = op.params as unknown as ErasureParams;
  const ids = (op.cursor.ids as Id[] | undefined) ?? [];
  if (params.mode === 'suppress' || params.mode === 'unsuppress' || ids.length === 0) {
    return { position: 2, delta: {}, done: true, cursor: { ids: [], target: null } };
  }
  if (op.position === 1) await new Promise((r) => setTimeout(r, 2_000));
  const delta = await deleteEverywhere(deps, client, op.projectId, ids);
  const done = op.position >= 1;
  if (done && params.mode === 'delete') {
    await client.query(`DELETE FROM braid.erased_subjects WHERE project_id = $1 AND operation_id = $2 AND state = 'erasing'`, [op.projectId, op.id]);
  }
  return { position: op.position + 1, delta, done, cursor: done ? { ids: [], target: null } : { ids } };
}

async function deleteEverywhere(deps: OperationDeps, client: pg.PoolClient, projectId: string, ids: Id[]): Promise<Record<string, number>> {
  const idsJson = JSON.stringify(ids);
  const q = async (sql: string) => (await client.query(sql, [projectId, idsJson])).rows;
  const SUBJECT = `(SELECT * FROM jsonb_to_recordset($2::jsonb) AS x(kind text, id text))`;
  const events = await q(
    `SELECT event_id, source_stream, source_sequence FROM braid.canonical_events e WHERE e.project_id = $1
       AND (e.user_id IN (SELECT id FROM ${SUBJECT} s WHERE s.kind = 'user') OR e.anonymous_id IN (SELECT id FROM ${SUBJECT} s WHERE s.kind = 'anonymous'))`,
  );
  const eventIds = events.map((r) => r.event_id as string);
  const rejected = await q(
    `SELECT id, source_stream, source_sequence FROM braid.rejected_events r WHERE r.project_id = $1
       AND (r.payload->>'userId' IN (SELECT id FROM ${SUBJECT} s WHERE s.kind = 'user') OR r.payload->>'anonymousId' IN (SELECT id FROM ${SUBJECT} s WHERE s.kind = 'anonymous'))`,
  );
  const lineage = (await client.query(`SELECT source_stream, source_sequence FROM braid.lineage WHERE project_id = $1 AND event_id = ANY($2::text[])`, [projectId, eventIds])).rows;
  const duplicates = (await client.query(`SELECT source_stream, source_sequence FROM braid.duplicates WHERE project_id = $1 AND message_id = ANY($2::text[])`, [projectId, eventIds])).rows;

  const sequences = new Set<number>();
  for (const r of [...events, ...rejected, ...lineage, ...duplicates]) if (r.source_stream === RAW_STREAM) sequences.add(Number(r.source_sequence));
  const jsm = await deps.nc.jetstreamManager();
  let streamMessages = 0;
  for (const seq of sequences) {
    try {
      if (await jsm.streams.deleteMessage(RAW_STREAM, seq, true)) streamMessages += 1;
    } catch (error) {
      if (!/no message found|not found/i.test((error as Error).message)) throw error;
    }
  }

  const positions = JSON.stringify(
    [...events, ...rejected, ...duplicates].map((r) => ({ stream: r.source_stream as string, sequence: Number(r.source_sequence) })),
  );
  const count = async (sql: string, params: unknown[]) => (await client.query(sql, params)).rowCount ?? 0;
  const deleted = {
    events: await count(`DELETE FROM braid.canonical_events WHERE project_id = $1 AND event_id = ANY($2::text[])`, [projectId, eventIds]),
    ledger: await count(`DELETE FROM braid.event_ids WHERE project_id = $1 AND event_id = ANY($2::text[])`, [projectId, eventIds]),
    lineage: await count(`DELETE FROM braid.lineage WHERE project_id = $1 AND event_id = ANY($2::text[])`, [projectId, eventIds]),
    duplicates: await count(`DELETE FROM braid.duplicates WHERE project_id = $1 AND message_id = ANY($2::text[])`, [projectId, eventIds]),
    rejected: await count(`DELETE FROM braid.rejected_events WHERE id = ANY($1::bigint[])`, [rejected.map((r) => r.id)]),
    receipts: await count(
      `DELETE FROM braid.receipts r USING jsonb_to_recordset($1::jsonb) AS x(stream text, sequence bigint)
       WHERE r.source_stream = x.stream AND r.source_sequence = x.sequence`,
      [positions],
    ),
    sessions: await count(
      `DELETE FROM braid.sessions s WHERE s.project_id = $1 AND s.device_key IN (SELECT CASE x.kind WHEN 'user' THEN 'u:' ELSE 'a:' END || x.id FROM jsonb_to_recordset($2::jsonb) AS x(kind text, id text))`,
      [projectId, idsJson],
    ),
    consent: await count(
      `DELETE FROM braid.consent_records c USING jsonb_to_recordset($2::jsonb) AS x(kind text, id text) WHERE c.project_id = $1 AND c.kind = x.kind AND c.subject_id = x.id`,
      [projectId, idsJson],
    ),
    identityLinks: await count(
      `DELETE FROM braid.identity_links l USING jsonb_to_recordset($2::jsonb) AS x(kind text, id text)
       WHERE l.project_id = $1 AND ((l.a_kind = x.kind AND l.a_id = x.id) OR (l.b_kind = x.kind AND l.b_id = x.id))`,
      [projectId, idsJson],
    ),
    identities: await count(
      `DELETE FROM braid.identities i USING jsonb_to_recordset($2::jsonb) AS x(kind text, id text) WHERE i.project_id = $1 AND i.kind = x.kind AND i.id = x.id`,
      [projectId, idsJson],
    ),
    streamMessages,
  };
  return deleted;
}
