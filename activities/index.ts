import type { NatsConnection } from 'nats';
import type pg from 'pg';
import type { Logger } from '../runtime/logger';
import type { WriteDrainInput } from './canonical-events.types';
import { writeDrain } from './canonical-events';
import { drainHost, type DrainHostInput } from './session-host';
import { createOperationActivities } from './operations';

export interface ActivityDeps {
  pool: pg.Pool;
  nc: NatsConnection;
  log: Logger;
  /** Messages or lines per replay/backfill chunk. */
  operationChunk?: number;
}

/**
 * The activities the worker registers, built from their dependencies.
 * Workflows type their proxies with `ReturnType<typeof createActivities>`.
 */
export function createActivities({ pool, nc, log, operationChunk = 500 }: ActivityDeps) {
  return {
    writeDrain: (input: WriteDrainInput) => writeDrain(pool, log, input),
    drainHost: (input: DrainHostInput) => drainHost(pool, log, input),
    ...createOperationActivities({ pool, nc, log, chunkSize: operationChunk }),
  };
}
