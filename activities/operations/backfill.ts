import type pg from 'pg';
import type { CreateBackfill } from '../../contracts/operations';
import type { OperationRecord } from '../../db/operations';
import { setOperationTotal } from '../../db/operations';
import { ensurePartitionsFor } from '../../db/partitions';
import { getProject } from '../../db/projects';
import { insertReceipts, type Receipt } from '../../db/receipts';
import { insertRejections } from '../../db/rejected-events';
import { decodeMessage, type Rejection } from '../../rules/decode-message';
import type { PreparedEvent } from '../../rules/prepared-event';
import { deviceKey } from '../../rules/session-key';
import { parseIsoTimestamp } from '../../contracts/timestamps';
import { PRODUCTION, writeInTransaction } from '../canonical-events';
import { checkSource, countLines, readLines } from './line-source';
import { inputError, requireProjectRules, type ChunkOutcome, type OperationDeps } from './chunk';


export function backfillStream(operationId: string): string {
  return `backfill:${operationId}`;
}

export async function prepareBackfill(deps: OperationDeps, op: OperationRecord): Promise<void> {
  const params = op.params as unknown as CreateBackfill;
  const project = await getProject(deps.pool, op.projectId);
  if (!project) throw inputError(`project ${op.projectId} does not exist`);
  if (!project.settings.channels.includes(params.channel)) throw inputError(`channel ${params.channel} is not registered on project ${op.projectId}`);
  const problem = await checkSource(params.source);
  if (problem) throw inputError(problem.message);
  if (op.total === null) await setOperationTotal(deps.pool, op.id, await countLines(params.source));
}

/**
 * Imports the next lines of a `segment-jsonl` source: each line one Segment
 * event, validated like a published one, keeping its `timestamp` as event
 * time, written through the same session path with `backfill_id` in lineage.
 * A bad line becomes a rejected event with its line number; the rest goes on.
 */
export async function processBackfillChunk(
  deps: OperationDeps,
  client: pg.PoolClient,
  op: OperationRecord,
  run: { workflowId: string; runId: string },
): Promise<ChunkOutcome> {
  const params = op.params as unknown as CreateBackfill;
  const { project, rules } = await requireProjectRules(deps, op.projectId);
  const byteOffset = typeof op.cursor.byteOffset === 'number' ? op.cursor.byteOffset : null;
  let batch;
  try {
    batch = await readLines(params.source, op.position, deps.chunkSize, byteOffset);
  } catch (error) {
    throw inputError(`cannot read ${params.source}: ${(error as Error).message}`);
  }
  const stream = backfillStream(op.id);
  const fallbackReceivedAt = op.createdAt.getTime();
  const accepted: PreparedEvent[] = [];
  const rejections: Rejection[] = [];
  const receipts: Receipt[] = [];
  for (const line of batch.lines) {
    if (line.text.trim() === '') continue;
    const receivedAtMs = receivedAtOf(line.text) ?? fallbackReceivedAt;
    const source = { stream, sequence: line.number, subject: null };
    const outcome = decodeMessage(
      { subject: '', data: Buffer.from(line.text, 'utf8'), receivedAtMs, source },
      (id) => (id === rules.projectId ? rules : undefined),
      { backfill: true, route: { projectId: op.projectId, channel: params.channel } },
    );
    receipts.push({ sourceStream: stream, sourceSequence: line.number, projectId: op.projectId, channel: params.channel, receivedAt: new Date(receivedAtMs).toISOString() });
    if (outcome.kind === 'accepted') accepted.push(outcome.event);
    else rejections.push({ ...outcome.rejection, details: { ...outcome.rejection.details, line: line.number } });
  }

  await ensurePartitionsFor(deps.pool, accepted.map((e) => e.eventTime));
  await insertReceipts(client, receipts);
  await insertRejections(client, rejections);
  const result = await writeInTransaction(
    client,
    { ...run, sessionTimeoutMs: project.settings.sessionTimeoutMinutes * 60_000, events: accepted.map((e) => ({ ...e, deviceKey: deviceKey(e) })), finalIds: 'all' },
    { ...PRODUCTION, backfillId: op.id },
    [],
  );
  const last = batch.lines.at(-1);
  return {
    position: last ? last.number : op.position,
    cursor: batch.nextByteOffset === null ? {} : { byteOffset: batch.nextByteOffset },
    delta: { read: receipts.length, written: result.written, rejected: rejections.length, duplicates: result.duplicates, unchanged: result.alreadyWritten, suppressed: result.suppressed },
    done: batch.endOfFile,
  };
}

/** A Segment export's `receivedAt`, when the line has a valid one. */
function receivedAtOf(text: string): number | null {
  const match = /"receivedAt"\s*:\s*"([^"]{10,40})"/.exec(text);
  return match ? parseIsoTimestamp(match[1]) : null;
}
