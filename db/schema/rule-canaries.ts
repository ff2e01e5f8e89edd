import { sql } from 'drizzle-orm';
import { index, integer, jsonb, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import type { CanaryChanges, CanaryStatus } from '../../contracts/canary';
import type { ProjectSettings } from '../../contracts/project';
import { braid } from './braid-schema';

/**
 * Canary rule changes (contract section 6): a settings change tried on a
 * share of a project's devices under its own rules version, then promoted
 * to every device or rolled back. At most one runs per project.
 */
export const ruleCanaries = braid.table(
  'rule_canaries',
  {
    id: text().primaryKey(),
    projectId: text().notNull(),
    percent: integer().notNull(),
    /** The change as asked for (part of a PATCH body). */
    changes: jsonb().$type<CanaryChanges>().notNull(),
    /** The project's settings with the change applied: the canary arm's rules. */
    settings: jsonb().$type<ProjectSettings>().notNull(),
    /** The rules version the canary arm writes with. */
    canaryVersion: integer().notNull(),
    /** The project's rules version when the canary began. */
    controlVersion: integer().notNull(),
    status: text().$type<CanaryStatus>().notNull().default('running'),
    startedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    startedBy: text(),
    endedAt: timestamp({ withTimezone: true }),
    endedBy: text(),
    /** The production replay a rollback started for the canary arm's events. */
    replayId: text(),
  },
  (t) => [
    uniqueIndex('rule_canaries_one_running').on(t.projectId).where(sql`${t.status} = 'running'`),
    uniqueIndex().on(t.projectId, t.canaryVersion),
    index().on(t.projectId, t.startedAt),
  ],
);
