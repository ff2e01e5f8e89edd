import type { NatsConnection } from 'nats';
import type pg from 'pg';
import { driverError } from '../db/query-errors';
import type { Logger } from '../runtime/logger';
import type { WriteDrainInput } from './canonical-events.types';
import { writeDrain } from './canonical-events';
import { drainHost, type DrainHostInput } from './session-host';
import { createOperationActivities } from './operations';
import { createLakeActivities } from './lake-export';

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
  return withDriverErrors({
    writeDrain: (input: WriteDrainInput) => writeDrain(pool, log, input),
    drainHost: (input: DrainHostInput) => drainHost(pool, log, input),
    ...createOperationActivities({ pool, nc, log, chunkSize: operationChunk }),
    ...createLakeActivities({ pool, log }),
  });
}

/**
 * Activities whose failures carry the driver's error rather than drizzle's
 * wrapper, whose message holds every parameter of the failed statement (event
 * data, which stays in Postgres and out of workflow histories).
 */
function withDriverErrors<T extends Record<string, (...args: never[]) => Promise<unknown>>>(activities: T): T {
  const wrapped = Object.entries(activities).map(([name, activity]) => [
    name,
    async (...args: never[]) => {
      try {
        return await activity(...args);
      } catch (error) {
        throw driverError(error);
      }
    },
  ]);
  return Object.fromEntries(wrapped) as T;
}
