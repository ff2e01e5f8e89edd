import type { PreparedEvent } from '../rules/prepared-event';
import type { SessionScope } from '../rules/sessionize';
import type { CanonicalDraft, DrainResult } from '../activities/canonical-events.types';
import type { SessionBatch, SessionSummary } from './session.messages';

export interface SessionInit extends SessionScope {
  /** How long the workflow waits without events before it ends. */
  idleMs: number;
  carried?: CarriedState;
}

/** Everything a run hands to the next one at continue-as-new: plain JSON only. */
export interface CarriedState {
  pending: PreparedEvent[];
  sessionTimeoutMs: number;
  counts: { received: number; written: number; duplicates: number; drains: number };
  continuedAsNew: number;
}

const DEFAULT_SESSION_TIMEOUT_MS = 30 * 60_000;

/**
 * The session actor's state and its pure transitions. The workflow is a thin
 * loop around this object: signals enqueue, the loop drains and writes through
 * one local activity, and records the result. Session boundaries are decided
 * in that write, against the device's stored sessions, so they hold across
 * runs and for events that arrive after this workflow has ended.
 */
export class SessionState {
  private pending: PreparedEvent[];
  private sessionTimeoutMs: number;
  private readonly counts: CarriedState['counts'];
  private readonly continuedAsNew: number;

  constructor(private readonly scope: SessionScope, carried?: CarriedState) {
    this.pending = carried ? [...carried.pending] : [];
    this.sessionTimeoutMs = carried?.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS;
    this.counts = carried ? { ...carried.counts } : { received: 0, written: 0, duplicates: 0, drains: 0 };
    this.continuedAsNew = carried?.continuedAsNew ?? 0;
  }

  enqueue(batch: SessionBatch): void {
    this.pending.push(...batch.events);
    this.counts.received += batch.events.length;
    if (batch.sessionTimeoutMs > 0) this.sessionTimeoutMs = batch.sessionTimeoutMs;
  }

  hasPending(): boolean {
    return this.pending.length > 0;
  }

  /** Takes up to `max` pending events, in arrival order, as drafts for one write. */
  takeDrain(max: number): { events: CanonicalDraft[]; sessionTimeoutMs: number } {
    const taken = this.pending.splice(0, max);
    return { events: taken.map((event) => ({ ...event, deviceKey: this.scope.deviceKey })), sessionTimeoutMs: this.sessionTimeoutMs };
  }

  recordWrite(result: DrainResult): void {
    this.counts.written += result.written;
    this.counts.duplicates += result.duplicates;
    this.counts.drains += 1;
  }

  carry(): CarriedState {
    return { pending: this.pending, sessionTimeoutMs: this.sessionTimeoutMs, counts: { ...this.counts }, continuedAsNew: this.continuedAsNew + 1 };
  }

  summary(): SessionSummary {
    return { ...this.scope, ...this.counts, pending: this.pending.length, continuedAsNew: this.continuedAsNew };
  }
}
