import type pg from 'pg';
import { inTransaction } from '../db/transaction';
import type { Rejection } from '../rules/decode-message';
import { transform } from '../rules/transforms';
import type { Logger } from '../runtime/logger';
import type { CanonicalDraft, DrainResult, WriteDrainInput } from './canonical-events.types';
import { linkIdentities } from './identities';
import { insertRejections } from './rejected-events';
import { admit, recordSuppressions } from './admission';
import { ensurePartitionsFor } from './partitions';
import { applySessionPlans, planDeviceSessions } from './sessions';

export interface WriteTarget {
  /** Schema holding canonical_events and lineage: `braid` for production, `sandbox_<id>` for sandbox replays. */
  schema: string;
  destination: string;
  replayId?: string | null;
  backfillId?: string | null;
}

export const PRODUCTION: WriteTarget = { schema: 'braid', destination: 'production' };

/**
 * Writes one drain of a session workflow in one transaction: the new canonical
 * rows with their sessions, their lineage, the duplicates it found and the
 * identities it saw. Idempotent on (projectId, messageId) forever: a message
 * already written from the same source position is skipped (a retried
 * activity or a redelivery), one from another position is counted as a
 * duplicate. Should Postgres refuse a row's data (a class 22 error the
 * sanitizer did not foresee), the drain is written again without the refused
 * rows, which become `unwritable_event` rejections: one bad row never blocks
 * its session.
 */
export async function writeDrain(pool: pg.Pool, log: Logger, input: WriteDrainInput, target: WriteTarget = PRODUCTION, settle?: SettleDrain): Promise<DrainResult> {
  if (input.events.length === 0) return { written: 0, duplicates: 0, alreadyWritten: 0, suppressed: 0, held: [] };
  if (target.schema === PRODUCTION.schema) await ensurePartitionsFor(pool, input.events.map((e) => e.eventTime));
  const write = (client: pg.PoolClient, refused: Rejection[]) =>
    writeInTransaction(client, input, target, refused).then(async (result) => {
      await settle?.(client, result);
      return result;
    });
  try {
    return await inTransaction(pool, (client) => write(client, []));
  } catch (error) {
    if (!isDataError(error)) throw error;
    log.warn({ err: error }, 'a drain has rows Postgres refuses; finding them');
    return inTransaction(pool, async (client) => write(client, await findRefusedRows(client, input.events, target)));
  }
}

/** Runs in the drain's transaction after its write: e.g. the host's staged rows leave with the rows they became. */
export type SettleDrain = (client: pg.PoolClient, result: DrainResult) => Promise<void>;


export async function writeInTransaction(client: pg.PoolClient, input: WriteDrainInput, target: WriteTarget, refused: Rejection[]): Promise<DrainResult> {
  const refusedIds = new Set(refused.map((r) => r.messageId));
  const events = input.events.filter((e) => !refusedIds.has(e.messageId));
  const sources = await loadSources(client, target.schema, events);
  const earlier = events.filter((e) => sources.has(e.messageId));
  const production = target.schema === PRODUCTION.schema;

  // Consent, erasure and minimization decide what of the not-yet-written may be written.
  const finalIds = input.finalIds === 'all' ? null : new Set(input.finalIds ?? []);
  const admission = await admit(client, events.filter((e) => !sources.has(e.messageId)), (e) => finalIds === null || finalIds.has(e.messageId));
  const suppressed = production ? await recordSuppressions(client, admission.suppressed) : admission.suppressed.length;
  const { unique: fresh, inBatchRepeats } = splitInBatchRepeats(admission.allowed);

  const plans = await planDeviceSessions(client, target.schema, fresh, input.sessionTimeoutMs);
  const sessionOf = new Map(plans.flatMap((p) => Object.entries(p.plan.assignments)));
  const drafts = fresh.map((e) => ({ ...e, sessionId: sessionOf.get(e.messageId) ?? null, transforms: [...e.transforms, transform('sessionize')] }));
  const inserted = await insertCanonical(client, drafts, target);
  const lost = fresh.filter((e) => !inserted.has(e.messageId));
  if (lost.length > 0) throw new ConcurrentWriteError(lost.map((e) => e.messageId));
  await applySessionPlans(client, target.schema, plans);
  for (const e of fresh) sources.set(e.messageId, { stream: e.source.stream, sequence: e.source.sequence });

  // Messages already written before (same position: a retry; another position: a duplicate).
  const duplicates: CanonicalDraft[] = [];
  let alreadyWritten = 0;
  for (const event of [...earlier, ...inBatchRepeats]) {
    const first = sources.get(event.messageId) as { stream: string; sequence: number };
    if (first.stream === event.source.stream && first.sequence === event.source.sequence) alreadyWritten += 1;
    else duplicates.push(event);
  }

  await insertLineage(client, drafts, input, target);
  // A sandbox counts its duplicates but keeps production's ledger, identities and rejections untouched.
  const newDuplicates = production ? await insertDuplicates(client, duplicates) : duplicates.length;
  if (production) {
    await linkIdentities(client, drafts);
    await insertRejections(client, refused);
  }
  return { written: drafts.length, duplicates: newDuplicates, alreadyWritten, suppressed, held: admission.held.map(sourceKey), consentHoldMs: admission.consentHoldMs, ...(admission.consentRecorded > 0 ? { consentRecorded: admission.consentRecorded } : {}) };
}

/** A message's identity in its source: stream and position. */
export const sourceKey = (e: { source: { stream: string; sequence: number } }) => `${e.source.stream}#${e.source.sequence}`;

/**
 * Another writer inserted one of these messageIds between our look and our
 * insert (the same messageId sent from two devices at once). The activity is
 * retried; the retry sees the other copy and counts this one as a duplicate.
 */
export class ConcurrentWriteError extends Error {
  constructor(readonly messageIds: string[]) {
    super(`messageIds written concurrently by another session: ${messageIds.slice(0, 5).join(', ')}`);
    this.name = 'ConcurrentWriteError';
  }
}

/** The first message of each messageId in the drain (by stream position) and the repeats after it. */
export function splitInBatchRepeats(events: CanonicalDraft[]): { unique: CanonicalDraft[]; inBatchRepeats: CanonicalDraft[] } {
  const bySource = [...events].sort((a, b) => a.source.sequence - b.source.sequence);
  const seen = new Set<string>();
  const unique: CanonicalDraft[] = [];
  const inBatchRepeats: CanonicalDraft[] = [];
  for (const event of bySource) {
    if (seen.has(event.messageId)) inBatchRepeats.push(event);
    else {
      seen.add(event.messageId);
      unique.push(event);
    }
  }
  // A stable lock order across concurrent drains keeps unique-index waits from deadlocking.
  unique.sort((a, b) => (a.messageId < b.messageId ? -1 : a.messageId > b.messageId ? 1 : 0));
  return { unique, inBatchRepeats };
}

export const CANONICAL_COLUMNS = `project_id text, event_id text, channel text, type text, event text, name text, user_id text,
  anonymous_id text, previous_id text, group_id text, device_key text, session_id text, client_session_id text,
  event_time timestamptz, client_timestamp text, sent_at text, received_at timestamptz, properties jsonb, traits jsonb,
  context jsonb, flags jsonb, source_stream text, source_sequence bigint`;

export function canonicalRow(e: SessionedDraft) {
  return {
    project_id: e.projectId,
    event_id: e.messageId,
    channel: e.channel,
    type: e.type,
    event: e.event ?? null,
    name: e.name ?? null,
    user_id: e.userId ?? null,
    anonymous_id: e.anonymousId ?? null,
    previous_id: e.previousId ?? null,
    group_id: e.groupId ?? null,
    device_key: e.deviceKey,
    session_id: e.sessionId,
    client_session_id: e.clientSessionId ?? null,
    event_time: e.eventTime,
    client_timestamp: e.timestamp ?? null,
    sent_at: e.sentAt ?? null,
    received_at: e.receivedAt,
    properties: e.properties,
    traits: e.traits,
    context: e.context,
    flags: e.flags,
    source_stream: e.source.stream,
    source_sequence: e.source.sequence,
  };
}

export type SessionedDraft = CanonicalDraft & { sessionId: string | null };

/**
 * Inserts events whose (project, messageId) is new: the ledger row first
 * (braid.event_ids holds the key for ever; canonical_events is partitioned by
 * event time and cannot), then the canonical row, in one statement.
 */
const insertCanonicalSql = (schema: string) => `WITH x AS (
    SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(${CANONICAL_COLUMNS})
  ), ids AS (
    INSERT INTO "${schema}".event_ids (project_id, event_id, event_time, source_stream, source_sequence)
    SELECT project_id, event_id, event_time, source_stream, source_sequence FROM x
    ON CONFLICT (project_id, event_id) DO NOTHING
    RETURNING project_id, event_id
  )
  INSERT INTO "${schema}".canonical_events
    (project_id, event_id, channel, type, event, name, user_id, anonymous_id, previous_id, group_id, device_key,
     session_id, client_session_id, event_time, client_timestamp, sent_at, received_at, properties, traits, context,
     flags, source_stream, source_sequence)
  SELECT x.* FROM x JOIN ids USING (project_id, event_id)
  RETURNING event_id`;

export async function insertCanonical(client: pg.PoolClient, events: SessionedDraft[], target: WriteTarget): Promise<Set<string>> {
  if (events.length === 0) return new Set();
  const res = await client.query<{ event_id: string }>(insertCanonicalSql(target.schema), [JSON.stringify(events.map(canonicalRow))]);
  return new Set(res.rows.map((r) => r.event_id));
}

/** Tries each row alone, under a savepoint that is always rolled back, and returns those Postgres refuses. */
async function findRefusedRows(client: pg.PoolClient, events: CanonicalDraft[], target: WriteTarget): Promise<Rejection[]> {
  const refused: Rejection[] = [];
  for (const event of events) {
    await client.query('SAVEPOINT probe');
    try {
      await client.query(insertCanonicalSql(target.schema), [JSON.stringify([canonicalRow({ ...event, sessionId: null })])]);
    } catch (error) {
      if (!isDataError(error)) throw error;
      refused.push({
        projectId: event.projectId,
        channel: event.channel,
        subject: event.source.subject,
        receivedAt: event.receivedAt,
        messageId: event.messageId,
        reason: 'unwritable_event',
        details: { message: (error as Error).message, code: (error as { code?: string }).code },
        payload: null,
        source: event.source,
      });
    } finally {
      await client.query('ROLLBACK TO SAVEPOINT probe');
    }
  }
  return refused;
}

function isDataError(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('22');
}

export async function loadSources(client: pg.PoolClient, schema: string, events: CanonicalDraft[]): Promise<Map<string, { stream: string; sequence: number }>> {
  if (events.length === 0) return new Map();
  const projectId = events[0]!.projectId;
  const res = await client.query<{ event_id: string; source_stream: string; source_sequence: number }>(
    `SELECT event_id, source_stream, source_sequence FROM "${schema}".event_ids WHERE project_id = $1 AND event_id = ANY($2::text[])`,
    [projectId, [...new Set(events.map((e) => e.messageId))]],
  );
  return new Map(res.rows.map((r) => [r.event_id, { stream: r.source_stream, sequence: r.source_sequence }]));
}

export async function insertLineage(client: pg.PoolClient, events: CanonicalDraft[], input: Pick<WriteDrainInput, 'workflowId' | 'runId'>, target: WriteTarget): Promise<void> {
  if (events.length === 0) return;
  const rows = events.map((e) => ({
    project_id: e.projectId,
    event_id: e.messageId,
    source_stream: e.source.stream,
    source_sequence: e.source.sequence,
    source_subject: e.source.subject,
    channel: e.channel,
    received_at: e.receivedAt,
    transforms: e.transforms,
    flags: e.flags,
    workflow_id: input.workflowId,
    run_id: input.runId,
    replay_id: target.replayId ?? null,
    backfill_id: target.backfillId ?? null,
    destination: target.destination,
  }));
  // The project's rules version as of this transaction: the rules that decided these rows.
  await client.query(
    `INSERT INTO "${target.schema}".lineage
       (project_id, event_id, source_stream, source_sequence, source_subject, channel, received_at, transforms, flags,
        workflow_id, run_id, replay_id, backfill_id, destination, rules_version)
     SELECT x.*, p.rules_version FROM jsonb_to_recordset($1::jsonb) AS x(project_id text, event_id text, source_stream text,
       source_sequence bigint, source_subject text, channel text, received_at timestamptz, transforms jsonb, flags jsonb,
       workflow_id text, run_id text, replay_id text, backfill_id text, destination text)
     LEFT JOIN braid.projects p USING (project_id)
     ON CONFLICT DO NOTHING`,
    [JSON.stringify(rows)],
  );
}

async function insertDuplicates(client: pg.PoolClient, events: CanonicalDraft[]): Promise<number> {
  if (events.length === 0) return 0;
  const rows = events.map((e) => ({
    source_stream: e.source.stream,
    source_sequence: e.source.sequence,
    project_id: e.projectId,
    channel: e.channel,
    message_id: e.messageId,
    received_at: e.receivedAt,
    device_key: e.deviceKey,
  }));
  const res = await client.query(
    `INSERT INTO braid.duplicates (source_stream, source_sequence, project_id, channel, message_id, received_at, device_key)
     SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(source_stream text, source_sequence bigint, project_id text,
       channel text, message_id text, received_at timestamptz, device_key text)
     ORDER BY source_stream, source_sequence
     ON CONFLICT DO NOTHING`,
    [JSON.stringify(rows)],
  );
  return res.rowCount ?? 0;
}
