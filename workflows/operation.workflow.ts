import { ActivityFailure, ApplicationFailure, condition, continueAsNew, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { createOperationActivities } from '../activities/operations';
import { cancelSignal, controlStateQuery, pauseSignal, resumeSignal, type OperationInput } from './operation.messages';

const { prepareOperation, processOperationChunk, setOperationStatus } = proxyActivities<ReturnType<typeof createOperationActivities>>({
  startToCloseTimeout: '5m',
  // A chunk heartbeats as it goes: a worker killed mid-chunk is noticed in seconds, not at the timeout.
  heartbeatTimeout: '15s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', nonRetryableErrorTypes: ['OperationInputError'] },
});

/**
 * A replay or a backfill: chunk after chunk, each chunk one activity that
 * commits its effects and its checkpoint together. Pause, resume and cancel
 * are signals, honoured between chunks; a crashed worker's chunk is retried
 * and, having committed or not, neither skipped nor doubled.
 */
export async function operationWorkflow(input: OperationInput): Promise<string> {
  let paused = input.paused ?? false;
  let cancelRequested = false;
  let position = input.position ?? -1;
  setHandler(pauseSignal, () => void (paused = true));
  setHandler(resumeSignal, () => void (paused = false));
  setHandler(cancelSignal, () => void (cancelRequested = true));
  setHandler(controlStateQuery, () => ({ paused, cancelRequested, position }));

  let continueFrom: number | null = null;
  try {
    if (position < 0) position = (await prepareOperation({ operationId: input.operationId })).position;
    for (;;) {
      if (cancelRequested) {
        await setOperationStatus({ operationId: input.operationId, status: 'cancelled' });
        return 'cancelled';
      }
      if (paused) {
        await setOperationStatus({ operationId: input.operationId, status: 'paused' });
        await condition(() => !paused || cancelRequested);
        if (!cancelRequested) await setOperationStatus({ operationId: input.operationId, status: 'running' });
        continue;
      }
      const chunk = await processOperationChunk({ operationId: input.operationId, expectedPosition: position });
      position = chunk.position;
      if (chunk.done) {
        await setOperationStatus({ operationId: input.operationId, status: 'completed' });
        return 'completed';
      }
      if (workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > 2_000) {
        continueFrom = position;
        break;
      }
    }
  } catch (error) {
    const cause = error instanceof ActivityFailure ? error.cause : error;
    const message = cause instanceof ApplicationFailure || cause instanceof Error ? cause.message : String(cause);
    await setOperationStatus({ operationId: input.operationId, status: 'failed', error: message });
    return 'failed';
  }
  return continueAsNew<typeof operationWorkflow>({ operationId: input.operationId, position: continueFrom, paused });
}
