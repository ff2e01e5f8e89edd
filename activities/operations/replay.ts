import { DeliverPolicy, type JsMsg } from 'nats';
import type pg from 'pg';
import type { CreateReplay } from '../../contracts/operations';
import type { OperationRecord } from '../../db/operations';
import { setOperationTotal } from '../../db/operations';
import { ensurePartitionsFor } from '../../db/partitions';
import { getProject } from '../../db/projects';
import { countReceipts } from '../../db/receipts';
import { createSandbox, sandboxSchema } from '../../db/sandbox';
import { RAW_STREAM } from '../../contracts/wire';
import { receivedAtMs } from '../../rules/received-at';
import { decodeMessage } from '../../rules/decode-message';
import type { PreparedEvent } from '../../rules/prepared-event';
import { deviceKey } from '../../rules/session-key';
import { messageInArm } from '../../rules/canary-arm';
import { getCanary } from '../../db/rule-canaries';
import { writeInTransaction } from '../canonical-events';
import type { CanonicalDraft } from '../canonical-events.types';
import { replaceCanonical } from '../replay-writes';
import { inputError, requireProjectRules, type ChunkOutcome, type OperationDeps } from './chunk';


const STAMP_MARGIN_MS = 60_000;

export async function prepareReplay(deps: OperationDeps, op: OperationRecord): Promise<void> {
  const params = op.params as unknown as CreateReplay;
  if (!(await getProject(deps.pool, op.projectId))) throw inputError(`project ${op.projectId} does not exist`);
  if (params.canary && !(await getCanary(deps.pool, op.projectId, params.canary))) throw inputError(`canary ${params.canary} of project ${op.projectId} does not exist`);
  if (params.target === 'sandbox') await createSandbox(deps.pool, op.id);
  // The total for progress: messages braid received for the project in the range.
  const total = await countReceipts(deps.pool, { projectId: op.projectId, from: params.from, to: params.to, channels: params.channels ?? null });
  await setOperationTotal(deps.pool, op.id, total);
}

/**
 * Reads the next chunk of the project's raw messages in the range with an
 * ordered consumer (from the range's start time, then from the sequence after
 * the checkpoint) and sends them through today's rules and the session write
 * path: into production in place, or into the replay's sandbox schema.
 */
export async function processReplayChunk(
  deps: OperationDeps,
  client: pg.PoolClient,
  op: OperationRecord,
  run: { workflowId: string; runId: string },
): Promise<ChunkOutcome> {
  const params = op.params as unknown as CreateReplay;
  const { project, rules } = await requireProjectRules(deps, op.projectId);
  const canary = params.canary ? await getCanary(deps.pool, op.projectId, params.canary) : null;
  const split = canary && { id: canary.id, percent: canary.percent, version: canary.canaryVersion };
  const fromMs = Date.parse(params.from);
  const toMs = Date.parse(params.to);

  // The stream is in storage-time order; a collector's receivedAt stamp may precede storage by
  // moments, so the scan starts and stops a margin beyond the range and filters on receivedAt.
  const messages = await readChunk(deps, op.projectId, op.position, new Date(fromMs - STAMP_MARGIN_MS).toISOString());
  const inRange: JsMsg[] = [];
  let reachedEnd = messages.length < deps.chunkSize;
  for (const m of messages) {
    if (messageTime(m) > toMs + STAMP_MARGIN_MS) {
      reachedEnd = true;
      break;
    }
    inRange.push(m);
  }
  const last = inRange.at(-1);
  const position = last ? last.info.streamSequence : op.position;
  if (last && last.info.pending === 0) reachedEnd = true;

  const delta: Record<string, number> = { read: 0, written: 0, unchanged: 0, rejected: 0, duplicates: 0, resolved: 0, skipped: 0 };
  const accepted: PreparedEvent[] = [];
  for (const m of inRange) {
    const channel = m.subject.split('.')[3] ?? '';
    if (params.channels && !params.channels.includes(channel)) continue;
    const receivedAt = receivedAtMs(m);
    if (receivedAt < fromMs || receivedAt > toMs) continue;
    const outcome = decodeMessage(
      { subject: m.subject, data: m.data, receivedAtMs: receivedAt, source: { stream: RAW_STREAM, sequence: m.info.streamSequence, subject: m.subject } },
      (id) => (id === rules.projectId ? rules : undefined),
    );
    if (params.events && !(outcome.kind === 'accepted' && params.events.includes(outcome.event.event ?? outcome.event.name ?? ''))) continue;
    if (split && !messageInArm(split, channel, outcome.kind === 'accepted' ? outcome.event : outcome.rejection.payload)) continue;
    delta.read! += 1;
    if (outcome.kind === 'rejected') delta.rejected! += 1;
    else accepted.push(outcome.event);
  }

  const drafts: CanonicalDraft[] = accepted.map((e) => ({ ...e, deviceKey: deviceKey(e) }));
  if (params.target === 'production') await ensurePartitionsFor(deps.pool, drafts.map((e) => e.eventTime));
  const sessionTimeoutMs = project.settings.sessionTimeoutMinutes * 60_000;
  if (params.target === 'production') {
    const result = await replaceCanonical(client, drafts, { replayId: op.id, ...run, sessionTimeoutMs, includeRejected: params.includeRejected });
    Object.assign(delta, {
      written: result.written,
      unchanged: result.unchanged,
      duplicates: result.duplicates,
      resolved: result.resolved,
      skipped: result.skipped,
      suppressed: result.suppressed,
    });
  } else {
    const schema = sandboxSchema(op.id);
    const result = await writeInTransaction(client, { ...run, sessionTimeoutMs, events: drafts, finalIds: 'all' }, { schema, destination: schema, replayId: op.id }, []);
    Object.assign(delta, { written: result.written, duplicates: result.duplicates, unchanged: result.alreadyWritten, suppressed: result.suppressed });
  }
  return { position, delta, done: reachedEnd };
}

/** The time JetStream stored the message (the stream's order), as opposed to a collector's stamp. */
function messageTime(m: JsMsg): number {
  return Math.floor(m.info.timestampNanos / 1e6);
}

async function readChunk(deps: OperationDeps, projectId: string, afterSequence: number, from: string): Promise<JsMsg[]> {
  const js = deps.nc.jetstream();
  const start = afterSequence > 0 ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: afterSequence + 1 } : { deliver_policy: DeliverPolicy.StartTime, opt_start_time: from };
  const consumer = await js.consumers.get(RAW_STREAM, { filterSubjects: `braid.raw.${projectId}.>`, ...start });
  const messages: JsMsg[] = [];
  const batch = await consumer.fetch({ max_messages: deps.chunkSize, expires: 1_000 });
  for await (const m of batch) {
    messages.push(m);
    if (m.info.pending === 0) break;
  }
  await consumer.delete().catch(() => undefined);
  return messages;
}
