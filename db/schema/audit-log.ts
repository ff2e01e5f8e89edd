import { bigserial, index, jsonb, text, timestamp } from 'drizzle-orm/pg-core';
import { braid } from './braid-schema';

/**
 * Every operator action through the API (analytics.audit_log, contract §6):
 * who (token name and role), what (method and route), on what, how it ended,
 * from where. Details keep only fields that are neither secrets nor personal
 * data (an erasure's subject, consent ids and tokens never appear).
 */
export const auditLog = braid.table(
  'audit_log',
  {
    id: bigserial({ mode: 'number' }).primaryKey(),
    at: timestamp({ withTimezone: true }).notNull().defaultNow(),
    actor: text(),
    role: text(),
    action: text().notNull(),
    target: text(),
    details: jsonb().$type<Record<string, unknown>>().notNull().default({}),
    sourceIp: text(),
    /** The project acted on, when there is one (analysts see only their projects' rows). */
    projectId: text(),
  },
  (t) => [index().on(t.at), index().on(t.projectId, t.at), index().on(t.actor, t.at)],
);
