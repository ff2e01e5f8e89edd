import { ApplicationFailure } from '@temporalio/activity';
import type { NatsConnection } from 'nats';
import type pg from 'pg';
import { loadProjectRules } from '../../db/project-rules';
import type { Logger } from '../../runtime/logger';

/** What replay, backfill and erasure chunks share: their dependencies, their outcome, their input errors. */
export const OPERATION_INPUT_ERROR = 'OperationInputError';

export interface OperationDeps {
  pool: pg.Pool;
  nc: NatsConnection;
  log: Logger;
  /** Messages or lines per chunk: one transaction and one checkpoint each. */
  chunkSize: number;
}

export interface ChunkResult {
  position: number;
  done: boolean;
}

/** What a chunk did: the new checkpoint, the counts to add, whether the work is complete. */
export interface ChunkOutcome {
  position: number;
  cursor?: Record<string, unknown>;
  delta: Record<string, number>;
  done: boolean;
}

/** A problem with what the operator asked for (a missing file, an unknown project): retrying cannot help. */
export function inputError(message: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(message, OPERATION_INPUT_ERROR);
}


/** The operation's project and its decoding rules with today's schema registry; an input error when the project is gone. */
export async function requireProjectRules(deps: OperationDeps, projectId: string) {
  const loaded = await loadProjectRules(deps.pool, projectId);
  if (!loaded) throw inputError(`project ${projectId} does not exist`);
  return loaded;
}
