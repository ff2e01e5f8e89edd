import { defineQuery, defineSignal } from '@temporalio/workflow';
import { SIGNALS } from '../contracts/wire';
import type { PreparedEvent } from '../rules/prepared-event';

/**
 * The session workflow's messages, defined once: the workflow sets handlers
 * for them, the ingest consumer sends them, tests query them.
 */
export interface SessionBatch {
  events: PreparedEvent[];
  /** The project's inactivity timeout, as known when the batch was sent. */
  sessionTimeoutMs: number;
}

export interface SessionSummary {
  projectId: string;
  channel: string;
  deviceKey: string;
  received: number;
  written: number;
  duplicates: number;
  pending: number;
  drains: number;
  suppressed: number;
  held: number;
  continuedAsNew: number;
}

export const eventsSignal = defineSignal<[SessionBatch]>(SIGNALS.sessionEvents);
export const summaryQuery = defineQuery<SessionSummary>('summary');
/** Consent changed for someone on this device (sent by POST /api/consent): re-check held events now. */
export const consentChangedSignal = defineSignal(SIGNALS.consentChanged);

/** Ingest staged events of a host's devices (the payloads wait in Postgres; this is only the notice). */
export interface HostNotice {
  events: number;
  /** The project's inactivity timeout for sessions, as known when the notice was sent. */
  sessionTimeoutMs: number;
}

/** What a host has done since its first run (carried across continue-as-new). */
export interface HostCounts {
  notices: number;
  noticedEvents: number;
  drains: number;
  taken: number;
  written: number;
  duplicates: number;
  suppressed: number;
  /** Rows held at the last drain that held any (held rows live in Postgres). */
  heldAtLastDrain: number;
}

export interface HostSummary extends HostCounts {
  projectId: string;
  hostId: string;
  nextHoldAt: string | null;
  continuedAsNew: number;
}

export const hostNoticeSignal = defineSignal<[HostNotice]>(SIGNALS.hostNotice);
export const hostSummaryQuery = defineQuery<HostSummary>('hostSummary');
