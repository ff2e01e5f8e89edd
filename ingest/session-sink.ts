import type { Client } from '@temporalio/client';
import type pg from 'pg';
import { stageEvents, type DeviceEvent } from '../db/staged-events';
import { SIGNALS } from '../contracts/wire';
import type { HostNotice } from '../workflows/session.messages';
import type { HostInit, sessionHostWorkflow } from '../workflows/session-host.workflow';

/** One host's group of events (each with its device), ready to hand to the host workflow. */
export interface SessionDelivery {
  /** The host (or per-device) workflow. */
  workflowId: string;
  projectId: string;
  sessionTimeoutMs: number;
  events: DeviceEvent[];
}

/** Where ingest hands accepted events. Resolves only once the hand-off is durable. */
export interface SessionSink {
  deliver(delivery: SessionDelivery): Promise<void>;
}

/**
 * The production sink, a claim check: the group's events are staged in
 * Postgres, then one signalWithStart tells their host there is work (no
 * payload travels through Temporal). Durable once both are done.
 */
export class TemporalSessionSink implements SessionSink {
  constructor(
    private readonly client: Client,
    private readonly pool: pg.Pool,
    private readonly taskQueue: string,
    private readonly idleMs: number,
  ) {}

  async deliver(d: SessionDelivery): Promise<void> {
    await stageEvents(this.pool, d.workflowId, d.events);
    await notifyHost(this.client, this.taskQueue, { workflowId: d.workflowId, projectId: d.projectId, idleMs: this.idleMs }, { events: d.events.length, sessionTimeoutMs: d.sessionTimeoutMs });
  }
}

/** Wakes a host (starting it when it is not running) with a notice. */
export async function notifyHost(client: Client, taskQueue: string, host: { workflowId: string; projectId: string; idleMs: number }, notice: HostNotice): Promise<void> {
  const init: HostInit = { projectId: host.projectId, idleMs: host.idleMs };
  await client.workflow.signalWithStart<typeof sessionHostWorkflow, [HostNotice]>('sessionHostWorkflow', {
    workflowId: host.workflowId,
    taskQueue,
    args: [init],
    signal: SIGNALS.hostNotice,
    signalArgs: [notice],
  });
}

/** gRPC status codes that mean the request itself is wrong, so retrying it cannot help. */
const PERMANENT_GRPC_CODES = new Set([3 /* INVALID_ARGUMENT */]);

/** Whether a failed hand-off will fail again however often it is retried. */
export function isPermanentSinkError(error: unknown): boolean {
  for (let e = error as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'number' && PERMANENT_GRPC_CODES.has(e.code)) return true;
  }
  return false;
}

/** How long a host started only to re-check held events waits for news before it ends. */
const RECHECK_HOST_IDLE_MS = 30 * 60_000;

/** Tells a host that consent changed for someone on its devices: it re-checks its held events now. */
export async function recheckHeldEvents(client: Client, taskQueue: string, host: { workflowId: string; projectId: string }): Promise<void> {
  const init: HostInit = { projectId: host.projectId, idleMs: RECHECK_HOST_IDLE_MS };
  await client.workflow.signalWithStart<typeof sessionHostWorkflow, []>('sessionHostWorkflow', {
    workflowId: host.workflowId,
    taskQueue,
    args: [init],
    signal: SIGNALS.consentChanged,
    signalArgs: [],
  });
}
