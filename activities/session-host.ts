import type pg from 'pg';
import { nextHoldDeadline, settleStaged, takeStaged, type StagedEvent } from '../db/staged-events';
import type { Logger } from '../runtime/logger';
import { drainEvents, drainSeconds, observeSince, workerEvents } from '../runtime/metrics';
import { sourceKey } from '../rules/source-key';
import { traceDrain } from './drain-traces';
import type { DrainResult } from './canonical-events.types';
import { PRODUCTION, writeDrain } from './canonical-events';

export interface DrainHostInput {
  projectId: string;
  /** The host (or per-device) workflow: its staged rows, and the lineage's workflow id. */
  hostId: string;
  runId: string;
  afterSequence: number;
  recheckHeld: boolean;
  sessionTimeoutMs: number;
  limit: number;
}

export interface HostDrainResult {
  /** Staged rows this drain read. */
  taken: number;
  /** The source sequence of the last row read: where the pass goes on. */
  lastSequence: number;
  /** Whether the host may have more rows after `lastSequence`. */
  more: boolean;
  written: number;
  duplicates: number;
  suppressed: number;
  /** Rows held (newly or still) for consent. */
  held: number;
  /** When the earliest held row of the host is due, or null when it holds none. */
  nextHoldAtMs: number | null;
  /** The drain recorded consent that events carried: the host's held rows are worth a recheck. */
  consentSeen: boolean;
}

/** Consent hold used when a drain holds events but the project's window is unknown (never in practice). */
const FALLBACK_HOLD_MS = 10 * 60_000;

/**
 * One drain of a host: reads the next staged rows of its devices (the claim
 * check), writes them as one drain (load state → admit → dedupe → plan
 * sessions → insert → lineage, duplicates, identities) and, in the same
 * transaction, removes the rows it decided and keeps the held ones staged.
 */
export async function drainHost(pool: pg.Pool, log: Logger, input: DrainHostInput): Promise<HostDrainResult> {
  const staged = await takeStaged(pool, { hostId: input.hostId, afterSequence: input.afterSequence, recheckHeld: input.recheckHeld, limit: input.limit });
  if (staged.length === 0) {
    return { taken: 0, lastSequence: input.afterSequence, more: false, written: 0, duplicates: 0, suppressed: 0, held: 0, nextHoldAtMs: await nextHoldDeadline(pool, input.hostId), consentSeen: false };
  }
  const nowMs = Date.now();
  const result = await traceDrain(staged, { hostId: input.hostId, runId: input.runId }, () =>
    writeDrain(
      pool,
      log,
      {
        workflowId: input.hostId,
        runId: input.runId,
        sessionTimeoutMs: input.sessionTimeoutMs,
        events: staged.map((s) => ({ ...s.event, deviceKey: s.deviceKey })),
        finalIds: staged.filter((s) => s.holdUntilMs !== null && s.holdUntilMs <= nowMs).map((s) => s.event.messageId),
      },
      PRODUCTION,
      (client, drained) => settleStaged(client, staged, drained.held, drained.consentHoldMs ?? FALLBACK_HOLD_MS),
    ),
  );
  countDrain(input.projectId, staged, result, nowMs);
  return {
    taken: staged.length,
    lastSequence: staged[staged.length - 1]!.event.source.sequence,
    more: staged.length >= input.limit,
    written: result.written,
    duplicates: result.duplicates,
    suppressed: result.suppressed,
    held: result.held.length,
    nextHoldAtMs: await nextHoldDeadline(pool, input.hostId),
    consentSeen: (result.consentRecorded ?? 0) > 0,
  };
}

/** The drain in the process's metrics: outcomes, batch size, its time, and how long written events waited. */
function countDrain(projectId: string, staged: StagedEvent[], result: DrainResult, startedAtMs: number): void {
  const project = { project: projectId };
  workerEvents.inc({ ...project, outcome: 'written' }, result.written);
  workerEvents.inc({ ...project, outcome: 'duplicate' }, result.duplicates);
  workerEvents.inc({ ...project, outcome: 'suppressed' }, result.suppressed);
  // A held row counts once, when it is first held (a recheck that keeps it held does not count it again).
  const held = new Set(result.held);
  workerEvents.inc({ ...project, outcome: 'held' }, staged.filter((s) => s.holdUntilMs === null && held.has(sourceKey(s.event))).length);
  drainEvents.observe(staged.length);
  drainSeconds.observe((Date.now() - startedAtMs) / 1000);
  const decided = staged.filter((s) => !held.has(sourceKey(s.event)));
  observeSince('handoff_to_written', decided.map((s) => s.stagedAtMs));
  observeSince('publish_to_queryable', decided.map((s) => Date.parse(s.event.receivedAt)));
}
