import type { DrainHostInput, HostDrainResult } from '../activities/session-host';
import type { HostCounts, HostNotice, HostSummary } from './session.messages';

/** A walk through a host's staged rows in source order, one drain at a time. */
export interface DrainPass {
  afterSequence: number;
  recheckHeld: boolean;
}

/** Everything a host run hands to the next at continue-as-new: a few numbers, whatever its devices send. */
export interface HostCarry {
  sessionTimeoutMs: number;
  noticed: boolean;
  recheckRequested: boolean;
  pass: DrainPass | null;
  nextHoldAtMs: number | null;
  counts: HostCounts;
  continuedAsNew: number;
}

const DEFAULT_SESSION_TIMEOUT_MS = 30 * 60_000;
/** A hold deadline that a drain could not act on yet (clocks of worker and Postgres differ) is retried this much later. */
const HOLD_RETRY_MS = 1_000;

/**
 * A host workflow's state and its pure transitions. Notices and consent
 * changes only set flags; the workflow loop asks for the next drain, runs it
 * and records the result. The state is bounded: events and held rows live in
 * Postgres (braid.staged_events).
 */
export class HostState {
  private sessionTimeoutMs: number;
  private noticed: boolean;
  private recheckRequested: boolean;
  private pass: DrainPass | null;
  private nextHoldAtMs: number | null;
  private readonly counts: HostCounts;
  private readonly continuedAsNew: number;

  constructor(
    private readonly projectId: string,
    private readonly hostId: string,
    carried?: HostCarry,
  ) {
    this.sessionTimeoutMs = carried?.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS;
    // A new run looks at its rows once, whatever it was told: nothing staged is ever left unread.
    this.noticed = true;
    this.recheckRequested = carried?.recheckRequested ?? false;
    this.pass = carried?.pass ?? null;
    this.nextHoldAtMs = carried?.nextHoldAtMs ?? null;
    this.counts = carried ? { ...carried.counts } : { notices: 0, noticedEvents: 0, drains: 0, taken: 0, written: 0, duplicates: 0, suppressed: 0, heldAtLastDrain: 0 };
    this.continuedAsNew = carried?.continuedAsNew ?? 0;
  }

  notice(notice: HostNotice): void {
    this.noticed = true;
    this.counts.notices += 1;
    this.counts.noticedEvents += notice.events;
    if (notice.sessionTimeoutMs > 0) this.sessionTimeoutMs = notice.sessionTimeoutMs;
  }

  consentChanged(): void {
    this.recheckRequested = true;
  }

  /** Whether a drain should run now. */
  hasWork(nowMs: number): boolean {
    return this.pass !== null || this.noticed || this.recheckRequested || this.holdDue(nowMs);
  }

  /** The next drain: the pass under way, or a new one from the start of the host's rows. */
  nextDrain(nowMs: number): Omit<DrainHostInput, 'projectId' | 'hostId' | 'runId' | 'limit'> {
    if (this.pass === null) {
      this.pass = { afterSequence: 0, recheckHeld: this.recheckRequested };
      this.noticed = false;
      this.recheckRequested = false;
      if (this.holdDue(nowMs)) this.nextHoldAtMs = null;
    }
    return { afterSequence: this.pass.afterSequence, recheckHeld: this.pass.recheckHeld, sessionTimeoutMs: this.sessionTimeoutMs };
  }

  record(result: HostDrainResult, nowMs: number): void {
    this.counts.drains += 1;
    this.counts.taken += result.taken;
    this.counts.written += result.written;
    this.counts.duplicates += result.duplicates;
    this.counts.suppressed += result.suppressed;
    if (result.held > 0) this.counts.heldAtLastDrain = result.held;
    this.pass = result.more && this.pass ? { ...this.pass, afterSequence: result.lastSequence } : null;
    // Consent carried by events may decide what the host holds: the next pass re-checks it.
    if (result.consentSeen && result.nextHoldAtMs !== null) this.recheckRequested = true;
    this.nextHoldAtMs = result.nextHoldAtMs === null ? null : Math.max(result.nextHoldAtMs, result.nextHoldAtMs <= nowMs ? nowMs + HOLD_RETRY_MS : 0);
  }

  /** Whether the run is inside a pass (continue-as-new waits for its end). */
  inPass(): boolean {
    return this.pass !== null;
  }

  /**
   * How long to wait for news before acting on time: until the earliest hold
   * ends, or else until the host has been idle `idleMs`; 0 when the run may
   * end (idle, nothing held).
   */
  waitMs(nowMs: number, lastActivityMs: number, idleMs: number): number {
    // A host that holds events stays until their holds end, idle or not.
    if (this.nextHoldAtMs !== null) return Math.max(1, this.nextHoldAtMs - nowMs);
    return Math.max(0, lastActivityMs + idleMs - nowMs);
  }

  carry(): HostCarry {
    return {
      sessionTimeoutMs: this.sessionTimeoutMs,
      noticed: this.noticed,
      recheckRequested: this.recheckRequested,
      pass: this.pass,
      nextHoldAtMs: this.nextHoldAtMs,
      counts: { ...this.counts },
      continuedAsNew: this.continuedAsNew + 1,
    };
  }

  summary(): HostSummary {
    return {
      projectId: this.projectId,
      hostId: this.hostId,
      ...this.counts,
      nextHoldAt: this.nextHoldAtMs === null ? null : new Date(this.nextHoldAtMs).toISOString(),
      continuedAsNew: this.continuedAsNew,
    };
  }

  private holdDue(nowMs: number): boolean {
    return this.nextHoldAtMs !== null && this.nextHoldAtMs <= nowMs;
  }
}
