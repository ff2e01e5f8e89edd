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
}

export interface DrainResult {
  /** New canonical rows. */
  written: number;
  /** Messages whose messageId the project already had, now counted. */
  duplicates: number;
  /** Messages this drain had already written (a retried activity or a redelivered message). */
  alreadyWritten: number;
}
