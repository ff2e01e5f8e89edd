import type { PreparedEvent } from '../rules/prepared-event';

/** A prepared event with what its session workflow decided: ready to write. */
export interface CanonicalDraft extends PreparedEvent {
  deviceKey: string;
}

export interface WriteDrainInput {
  workflowId: string;
  runId: string;
  /** The project's inactivity timeout for sessions. */
  sessionTimeoutMs: number;
  events: CanonicalDraft[];
  /** Events whose consent hold is over: decide them now with what is known. `all` for replays and backfills. */
  finalIds?: string[] | 'all';
}

export interface DrainResult {
  /** New canonical rows. */
  written: number;
  /** Messages whose messageId the project already had, now counted. */
  duplicates: number;
  /** Messages this drain had already written (a retried activity or a redelivered message). */
  alreadyWritten: number;
  /** Messages dropped for consent or erasure (counted in the suppressions ledger). */
  suppressed: number;
  /** Opt-in events whose consent is not known yet (source keys): the workflow holds and re-submits them. */
  held: string[];
  /** The project's consent hold window, for the events held. */
  consentHoldMs?: number;
  /** Consent records the drain's events carried: held events may be decided now. */
  consentRecorded?: number;
}
