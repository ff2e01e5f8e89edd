import { Context } from '@temporalio/activity';
import type { StagedEvent } from '../db/staged-events';
import { activeTracing, failSpan, startSpan } from '../runtime/tracing';

/**
 * The drain's place in each traced event's trace: one `braid.write` span per
 * distinct traceparent among the staged rows (a child of the event's ingest
 * span), covering the drain's Postgres transaction, with the batch size and
 * the activity attempt, so one event's trace shows the write that made it
 * queryable and how many events shared it. Nothing happens when tracing is off.
 */
export async function traceDrain<T>(staged: readonly StagedEvent[], info: { hostId: string; runId: string }, write: () => Promise<T>): Promise<T> {
  if (activeTracing() === null) return write();
  const parents = [...new Set(staged.flatMap((s) => (s.event.traceparent ? [s.event.traceparent] : [])))];
  if (parents.length === 0) return write();
  const attempt = activityAttempt();
  const spans = parents.map((parent) =>
    startSpan('braid.write', {
      parent,
      attributes: {
        'db.system': 'postgresql',
        'db.operation.name': 'drain transaction',
        'braid.host_workflow': info.hostId,
        'braid.run_id': info.runId,
        'braid.drain_events': staged.length,
        'braid.activity_attempt': attempt,
      },
    }),
  );
  try {
    const result = await write();
    for (const span of spans) span.end();
    return result;
  } catch (error) {
    for (const span of spans) failSpan(span, error);
    throw error;
  }
}

/** The Temporal activity attempt running this drain (1 outside an activity, as in tests that call it directly). */
function activityAttempt(): number {
  try {
    return Context.current().info.attempt;
  } catch {
    return 1;
  }
}
