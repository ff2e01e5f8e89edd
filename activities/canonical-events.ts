import type pg from 'pg';
import { insertCanonicalEvents, probeCanonicalRow, type CanonicalRow } from '../db/canonical-events';
import { insertDuplicates } from '../db/duplicates';
import { eventSources } from '../db/event-ids';
import { insertLineage as insertLineageRows } from '../db/lineage';
import { ensurePartitionsFor } from '../db/partitions';
import { postgresErrorCode } from '../db/postgres-errors';
import { driverError } from '../db/query-errors';
import { insertRejections } from '../db/rejected-events';
import { inTransaction } from '../db/transaction';
import type { Rejection } from '../rules/decode-message';
import { sourceKey } from '../rules/source-key';
import { transform } from '../rules/transforms';
import type { Logger } from '../runtime/logger';
import type { CanonicalDraft, DrainResult, WriteDrainInput } from './canonical-events.types';
import { linkIdentities } from './identities';
import { admit, recordSuppressions } from './admission';
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
    log.warn({ err: driverError(error) }, 'a drain has rows Postgres refuses; finding them');
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

  const plans = await planSessionsByRules(client, target.schema, fresh, (e) => (e.rulesVersion === undefined ? undefined : admission.canaryTimeoutsMs.get(e.rulesVersion)) ?? input.sessionTimeoutMs);
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
  const newDuplicates = production ? await recordDuplicates(client, duplicates) : duplicates.length;
  if (production) {
    await linkIdentities(client, drafts);
    await insertRejections(client, refused);
  }
  return { written: drafts.length, duplicates: newDuplicates, alreadyWritten, suppressed, held: admission.held.map(sourceKey), consentHoldMs: admission.consentHoldMs, ...(admission.consentRecorded > 0 ? { consentRecorded: admission.consentRecorded } : {}) };
}

/** Plans the sessions of each group of events that share a session timeout (a canary arm may have its own). */
async function planSessionsByRules(client: pg.PoolClient, schema: string, events: CanonicalDraft[], timeoutOf: (e: CanonicalDraft) => number) {
  const groups = new Map<number, CanonicalDraft[]>();
  for (const e of events) {
    const timeoutMs = timeoutOf(e);
    const group = groups.get(timeoutMs);
    if (group) group.push(e);
    else groups.set(timeoutMs, [e]);
  }
  const plans = [];
  for (const [timeoutMs, group] of groups) plans.push(...(await planDeviceSessions(client, schema, group, timeoutMs)));
  return plans;
}

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

/** The canonical row of a sessioned draft. */
export function canonicalRow(e: SessionedDraft): CanonicalRow {
  return {
    projectId: e.projectId,
    eventId: e.messageId,
    channel: e.channel,
    type: e.type,
    event: e.event ?? null,
    name: e.name ?? null,
    userId: e.userId ?? null,
    anonymousId: e.anonymousId ?? null,
    previousId: e.previousId ?? null,
    groupId: e.groupId ?? null,
    deviceKey: e.deviceKey,
    sessionId: e.sessionId,
    clientSessionId: e.clientSessionId ?? null,
    eventTime: e.eventTime,
    clientTimestamp: e.timestamp ?? null,
    sentAt: e.sentAt ?? null,
    receivedAt: e.receivedAt,
    properties: e.properties,
    traits: e.traits,
    context: e.context,
    flags: e.flags,
    sourceStream: e.source.stream,
    sourceSequence: e.source.sequence,
  };
}

export type SessionedDraft = CanonicalDraft & { sessionId: string | null };

/** Inserts the drafts whose (project, messageId) is new, with their ledger rows; returns the messageIds it inserted. */
export async function insertCanonical(client: pg.PoolClient, events: SessionedDraft[], target: WriteTarget): Promise<Set<string>> {
  return insertCanonicalEvents(client, target.schema, events.map(canonicalRow));
}

/** Tries each row alone, under a savepoint that is always rolled back, and returns those Postgres refuses. */
async function findRefusedRows(client: pg.PoolClient, events: CanonicalDraft[], target: WriteTarget): Promise<Rejection[]> {
  const refused: Rejection[] = [];
  for (const event of events) {
    const error = await probeCanonicalRow(client, target.schema, canonicalRow({ ...event, sessionId: null }));
    if (error === null) continue;
    if (!isDataError(error)) throw error;
    const cause = driverError(error) as Error;
    refused.push({
      projectId: event.projectId,
      channel: event.channel,
      subject: event.source.subject,
      receivedAt: event.receivedAt,
      messageId: event.messageId,
      reason: 'unwritable_event',
      details: { message: cause.message, code: postgresErrorCode(error) },
      payload: null,
      source: event.source,
    });
  }
  return refused;
}

/** Postgres refused the data itself (SQLSTATE class 22: a value out of range, a time it cannot read, …). */
function isDataError(error: unknown): boolean {
  return postgresErrorCode(error)?.startsWith('22') ?? false;
}

/** Where each of these messages was first written from, for those the project has written (by messageId). */
export async function loadSources(client: pg.PoolClient, schema: string, events: CanonicalDraft[]): Promise<Map<string, { stream: string; sequence: number }>> {
  if (events.length === 0) return new Map();
  const rows = await eventSources(client, schema, events[0]!.projectId, [...new Set(events.map((e) => e.messageId))]);
  return new Map(rows.map((r) => [r.eventId, { stream: r.sourceStream, sequence: r.sourceSequence }]));
}

/** One lineage row per written event: where it came from, what was done to it, which write (and replay or backfill) did it. */
export async function insertLineage(client: pg.PoolClient, events: CanonicalDraft[], input: Pick<WriteDrainInput, 'workflowId' | 'runId'>, target: WriteTarget): Promise<void> {
  await insertLineageRows(
    client,
    target.schema,
    events.map((e) => ({
      projectId: e.projectId,
      eventId: e.messageId,
      sourceStream: e.source.stream,
      sourceSequence: e.source.sequence,
      sourceSubject: e.source.subject,
      channel: e.channel,
      receivedAt: e.receivedAt,
      transforms: e.transforms,
      flags: e.flags,
      workflowId: input.workflowId,
      runId: input.runId,
      replayId: target.replayId ?? null,
      backfillId: target.backfillId ?? null,
      destination: target.destination,
      rulesVersion: e.rulesVersion ?? null,
    })),
  );
}

/** Counts messages whose messageId the project already had, once per source position. */
function recordDuplicates(client: pg.PoolClient, events: CanonicalDraft[]): Promise<number> {
  return insertDuplicates(
    client,
    events.map((e) => ({
      sourceStream: e.source.stream,
      sourceSequence: e.source.sequence,
      projectId: e.projectId,
      channel: e.channel,
      messageId: e.messageId,
      deviceKey: e.deviceKey,
      receivedAt: e.receivedAt,
    })),
  );
}
