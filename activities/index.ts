import type pg from 'pg';
import type { Logger } from '../runtime/logger';
import type { WriteDrainInput } from './canonical-events.types';
import { writeDrain } from './canonical-events';

export interface ActivityDeps {
  pool: pg.Pool;
  log: Logger;
}

/**
 * The activities the worker registers, built from their dependencies.
 * Workflows type their proxies with `ReturnType<typeof createActivities>`.
 */
export function createActivities({ pool, log }: ActivityDeps) {
  return {
    writeDrain: (input: WriteDrainInput) => writeDrain(pool, log, input),
  };
}
