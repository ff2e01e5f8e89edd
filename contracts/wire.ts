/**
 * Names on the wire between publishers and braid (contract section 1): the
 * raw stream, its subjects and the headers braid reads. Defined once; the
 * SDK, the collector, ingest, replays and the stream provisioning use these.
 */
export const RAW_STREAM = 'BRAID_RAW';
export const RAW_SUBJECTS = 'braid.raw.>';

/** `braid.raw.<projectId>.<channel>`: where a project's events of one channel are published. */
export function rawSubject(projectId: string, channel: string): string {
  return `braid.raw.${projectId}.${channel}`;
}

/** Header the HTTP collector sets with the time it received the event. */
export const RECEIVED_AT_HEADER = 'Braid-Received-At';

/** W3C trace context (contract §6): publishers and the collector set it on NATS messages; braid continues the trace. */
export const TRACEPARENT_HEADER = 'traceparent';

/** Core NATS subject (not in BRAID_RAW) on which the API announces a revoked write key's id, so every collector forgets it at once. */
export const WRITE_KEY_REVOKED_SUBJECT = 'braid.control.write-keys.revoked';

/** Signals of the host (and session) workflows, by name: ingest and the API send them, workflows define them. */
export const SIGNALS = {
  /** Ingest staged events of a host's devices (the notice carries no payload). */
  hostNotice: 'staged',
  /** Consent changed for someone on the workflow's devices: re-check held events. */
  consentChanged: 'consentChanged',
  /** The session workflow of earlier releases: a batch of events. */
  sessionEvents: 'events',
} as const;
