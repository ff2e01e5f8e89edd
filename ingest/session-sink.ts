import type { Client } from '@temporalio/client';
import type { PreparedEvent } from '../rules/prepared-event';
import { eventsSignal, type SessionBatch } from '../workflows/session.messages';
import type { sessionWorkflow } from '../workflows/session.workflow';

/** One session's group of events, ready to hand to its session workflow. */
export interface SessionDelivery {
  workflowId: string;
  projectId: string;
  channel: string;
  deviceKey: string;
  sessionTimeoutMs: number;
  events: PreparedEvent[];
}

/** Where ingest hands accepted events. Resolves only once the hand-off is durable. */
export interface SessionSink {
  deliver(delivery: SessionDelivery): Promise<void>;
}

/** The production sink: one signalWithStart per group, durable once Temporal accepts it. */
export class TemporalSessionSink implements SessionSink {
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
    private readonly idleMs: number,
  ) {}

  async deliver(d: SessionDelivery): Promise<void> {
    await this.client.workflow.signalWithStart<typeof sessionWorkflow, [SessionBatch]>(
      'sessionWorkflow',
      {
        workflowId: d.workflowId,
        taskQueue: this.taskQueue,
        args: [{ projectId: d.projectId, channel: d.channel, deviceKey: d.deviceKey, idleMs: this.idleMs }],
        signal: eventsSignal,
        signalArgs: [{ events: d.events, sessionTimeoutMs: d.sessionTimeoutMs }],
      },
    );
  }
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
