import type { Client } from '@temporalio/client';
import type { NatsConnection } from 'nats';
import type pg from 'pg';
import type { SessionHosting } from '../contracts/hosting';
import type { Logger } from '../runtime/logger';

/** What the API's routes use. */
export interface ApiDeps {
  pool: pg.Pool;
  nc: NatsConnection;
  temporal: Client;
  taskQueue: string;
  /** How device actors are hosted (BRAID_SESSION_HOSTING); hosted when absent. */
  hosting?: SessionHosting;
  log: Logger;
  /** Other processes' /metrics.json that /metrics merges (BRAID_METRICS_PEERS). */
  metricsPeers?: string[];
}
