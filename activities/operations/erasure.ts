import type pg from 'pg';
import { deleteSubjectRecords, personIdentities, subjectRecords, type SubjectId } from '../../db/erasure';
import { endErasing, suppressSubjects, unsuppressSubjects } from '../../db/erased-subjects';
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

type Id = SubjectId;

/**
 * Resolves the subject to every id linked to it (kept only in the running
 * operation's cursor, cleared when it finishes) and puts the ids on the
 * suppression list, so live session workflows stop writing them before any
 * deletion starts: `suppress` for good, `erasing` only while a delete runs.
 * `unsuppress` takes them off.
 */
export async function prepareErasure(deps: OperationDeps, op: OperationRecord, target: Id): Promise<Id[]> {
  const params = op.params as unknown as ErasureParams;
  const linked = await personIdentities(deps.pool, op.projectId, target);
  const ids: Id[] = linked.length > 0 ? linked : target.kind === ('person' as string) ? [] : [target];
  const hashes = ids.map((i) => subjectHash(op.projectId, i.kind, i.id));
  if (params.mode === 'unsuppress') {
    await unsuppressSubjects(deps.pool, op.projectId, hashes);
  } else {
    const state = params.mode === 'delete' ? 'erasing' : 'suppress';
    await suppressSubjects(deps.pool, { projectId: op.projectId, operationId: op.id, state }, ids.map((i, n) => ({ kind: i.kind, subjectHash: hashes[n] as string })));
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
    await endErasing(client, op.projectId, op.id);
  }
  return { position: op.position + 1, delta, done, cursor: done ? { ids: [], target: null } : { ids } };
}

async function deleteEverywhere(deps: OperationDeps, client: pg.PoolClient, projectId: string, ids: Id[]): Promise<Record<string, number>> {
  const found = await subjectRecords(client, projectId, ids);

  const sequences = new Set<number>();
  for (const r of [...found.events, ...found.rejected, ...found.lineage, ...found.duplicates]) if (r.sourceStream === RAW_STREAM) sequences.add(r.sourceSequence);
  const jsm = await deps.nc.jetstreamManager();
  let streamMessages = 0;
  for (const seq of sequences) {
    try {
      if (await jsm.streams.deleteMessage(RAW_STREAM, seq, true)) streamMessages += 1;
    } catch (error) {
      if (!/no message found|not found/i.test((error as Error).message)) throw error;
    }
  }

  const deleted = await deleteSubjectRecords(client, projectId, ids, {
    eventIds: found.events.map((e) => e.eventId),
    rejectedIds: found.rejected.map((r) => r.id),
    positions: [...found.events, ...found.rejected, ...found.duplicates].map((r) => ({ sourceStream: r.sourceStream, sourceSequence: r.sourceSequence })),
  });
  return { ...deleted, streamMessages };
}
