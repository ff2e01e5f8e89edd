import type { Client } from '@temporalio/client';
import type { NatsConnection } from 'nats';
import type pg from 'pg';
import type { Logger } from '../runtime/logger';

/** What the API's routes use. */
export interface ApiDeps {
  pool: pg.Pool;
  nc: NatsConnection;
  temporal: Client;
  taskQueue: string;
  log: Logger;
}
