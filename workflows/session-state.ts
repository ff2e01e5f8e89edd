import type { PreparedEvent } from '../rules/prepared-event';
import type { SessionScope } from '../rules/sessionize';
import { sourceKey } from '../rules/source-key';
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
  /** Opt-in events waiting for consent, with the time their hold ends. */
  held?: HeldEvent[];
  sessionTimeoutMs: number;
  consentHoldMs?: number;
  counts: { received: number; written: number; duplicates: number; drains: number; suppressed?: number };
  continuedAsNew: number;
}

export interface HeldEvent {
  event: PreparedEvent;
  untilMs: number;
}

const DEFAULT_SESSION_TIMEOUT_MS = 30 * 60_000;
const DEFAULT_CONSENT_HOLD_MS = 10 * 60_000;

/**
 * The session actor's state and its pure transitions. The workflow is a thin
 * loop around this object: signals enqueue, the loop drains and writes through
 * one local activity, and records the result. Session boundaries are decided
 * in that write, against the device's stored sessions, so they hold across
 * runs and for events that arrive after this workflow has ended.
 */
export class SessionState {
  private pending: PreparedEvent[];
  private held: HeldEvent[];
  private sessionTimeoutMs: number;
  private consentHoldMs: number;
  private readonly counts: CarriedState['counts'];
  private readonly continuedAsNew: number;
  /** Held events re-submitted in the drain in flight (their deadlines, should they be held again). */
  private retrying: HeldEvent[] = [];

  constructor(private readonly scope: SessionScope, carried?: CarriedState) {
    this.pending = carried ? [...carried.pending] : [];
    this.held = carried?.held ? [...carried.held] : [];
    this.sessionTimeoutMs = carried?.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS;
    this.consentHoldMs = carried?.consentHoldMs ?? DEFAULT_CONSENT_HOLD_MS;
    this.counts = carried ? { suppressed: 0, ...carried.counts } : { received: 0, written: 0, duplicates: 0, drains: 0, suppressed: 0 };
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

  hasHeld(): boolean {
    return this.held.length > 0;
  }

  /** When the earliest hold ends, or null when nothing is held. */
  nextHoldDeadlineMs(): number | null {
    return this.held.length === 0 ? null : Math.min(...this.held.map((h) => h.untilMs));
  }

  /**
   * Takes up to `max` pending events, in arrival order, as drafts for one
   * write; held events go along when there is new data or `recheckHeld`
   * (consent may be known now), marked final once their hold is over.
   */
  takeDrain(max: number, nowMs: number, recheckHeld: boolean): { events: CanonicalDraft[]; sessionTimeoutMs: number; finalIds: string[] } {
    const taken = this.pending.splice(0, max);
    const retry = recheckHeld || taken.length > 0 ? this.held.splice(0, this.held.length) : [];
    this.retrying = retry;
    const events = [...retry.map((h) => h.event), ...taken].map((event) => ({ ...event, deviceKey: this.scope.deviceKey }));
    const finalIds = retry.filter((h) => h.untilMs <= nowMs).map((h) => h.event.messageId);
    return { events, sessionTimeoutMs: this.sessionTimeoutMs, finalIds };
  }

  /** Keeps the events the write held back; an event already held keeps its original deadline. */
  hold(drained: readonly PreparedEvent[], heldKeys: readonly string[], nowMs: number, consentHoldMs?: number): void {
    if (consentHoldMs !== undefined) this.consentHoldMs = consentHoldMs;
    const keys = new Set(heldKeys);
    const before = new Map(this.retrying.map((h) => [sourceKey(h.event), h.untilMs]));
    for (const event of drained) {
      const key = sourceKey(event);
      if (keys.has(key)) this.held.push({ event: stripDevice(event), untilMs: before.get(key) ?? nowMs + this.consentHoldMs });
    }
  }

  recordWrite(result: DrainResult): void {
    this.counts.written += result.written;
    this.counts.duplicates += result.duplicates;
    this.counts.suppressed = (this.counts.suppressed ?? 0) + (result.suppressed ?? 0);
    this.counts.drains += 1;
    this.retrying = [];
  }

  carry(): CarriedState {
    return {
      pending: this.pending,
      held: this.held,
      sessionTimeoutMs: this.sessionTimeoutMs,
      consentHoldMs: this.consentHoldMs,
      counts: { ...this.counts },
      continuedAsNew: this.continuedAsNew + 1,
    };
  }

  summary(): SessionSummary {
    return { ...this.scope, ...this.counts, suppressed: this.counts.suppressed ?? 0, pending: this.pending.length, held: this.held.length, continuedAsNew: this.continuedAsNew };
  }
}

function stripDevice(event: PreparedEvent | CanonicalDraft): PreparedEvent {
  const { deviceKey: _deviceKey, ...rest } = event as CanonicalDraft;
  return rest;
}
