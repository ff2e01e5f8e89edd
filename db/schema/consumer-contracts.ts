import { jsonb, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import type { ContractRead } from '../../rules/consumer-contracts';
import { braid } from './braid-schema';

/** What each registered consumer reads of a project's events (rules/consumer-contracts.ts). */
export const consumerContracts = braid.table(
  'consumer_contracts',
  {
    projectId: text().notNull(),
    consumer: text().notNull(),
    reads: jsonb().$type<ContractRead[]>().notNull(),
    updatedBy: text(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.consumer] })],
);
