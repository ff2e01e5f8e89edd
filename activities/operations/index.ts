import { Context } from '@temporalio/activity';
import { inputError, type ChunkResult, type OperationDeps } from './chunk';
import type pg from 'pg';
import type { OperationStatus } from '../../contracts/operations';
import { recordErasureIds } from '../../db/erasure';
import { advanceOperation, getOperation, lockOperation, setOperationStatus, type OperationRecord } from '../../db/operations';
import { inTransaction } from '../../db/transaction';
import { processBackfillChunk, prepareBackfill } from './backfill';
import { prepareErasure, processErasureChunk } from './erasure';
import { prepareReplay, processReplayChunk } from './replay';

export { OPERATION_INPUT_ERROR, inputError, type ChunkOutcome, type ChunkResult, type OperationDeps } from './chunk';

/**
 * Activities of replays and backfills. Each chunk runs in one Postgres
 * transaction that holds the operation's row: it checks that the checkpoint
 * is where the workflow expects it (a retried chunk that already committed
 * returns the stored checkpoint instead of running again), applies its
 * effects and moves the checkpoint. A worker killed at any point resumes
 * without skipping or doubling.
 */
export function createOperationActivities(deps: OperationDeps) {
  return {
    async prepareOperation(input: { operationId: string }): Promise<{ position: number }> {
      const op = await requireOperation(deps.pool, input.operationId);
      if (op.kind === 'replay') await prepareReplay(deps, op);
      else if (op.kind === 'backfill') await prepareBackfill(deps, op);
      else if (op.kind === 'erasure' && op.position === 0 && !op.cursor.ids) {
        const ids = await prepareErasure(deps, op, op.cursor.target as { kind: 'user' | 'anonymous'; id: string });
        await recordErasureIds(deps.pool, op.id, ids);
      }
      await setOperationStatus(deps.pool, op.id, 'running');
      return { position: op.position };
    },

    async processOperationChunk(input: { operationId: string; expectedPosition: number }): Promise<ChunkResult> {
      const { workflowId, runId } = Context.current().info.workflowExecution ?? { workflowId: 'unknown', runId: 'unknown' };
      const heartbeat = setInterval(() => Context.current().heartbeat(), 3_000);
      try {
        return await inTransaction(deps.pool, async (client) => {
          Context.current().heartbeat();
          const op = await lockOperation(client, input.operationId);
          if (!op) throw inputError(`operation ${input.operationId} does not exist`);
          if (op.position !== input.expectedPosition || isFinished(op.status)) {
            // This chunk committed before (the activity is being retried): report where it got to (the transaction only read).
            return { position: op.position, done: isFinished(op.status) || op.cursor.done === true };
          }
          const outcome =
            op.kind === 'replay'
              ? await processReplayChunk(deps, client, op, { workflowId, runId })
              : op.kind === 'backfill'
                ? await processBackfillChunk(deps, client, op, { workflowId, runId })
                : await processErasureChunk(deps, client, op);
          await advanceOperation(client, op.id, outcome.position, outcome.delta, undefined, { ...op.cursor, ...outcome.cursor, done: outcome.done });
          return { position: outcome.position, done: outcome.done };
        });
      } finally {
        clearInterval(heartbeat);
      }
    },

    async setOperationStatus(input: { operationId: string; status: OperationStatus; error?: string }): Promise<void> {
      await setOperationStatus(deps.pool, input.operationId, input.status, input.error ?? null);
    },
  };
}

function isFinished(status: OperationStatus): boolean {
  return status === 'completed' || status === 'failed' || status === 'cancelled';
}

async function requireOperation(pool: pg.Pool, id: string): Promise<OperationRecord> {
  const op = await getOperation(pool, id);
  if (!op) throw inputError(`operation ${id} does not exist`);
  return op;
}
