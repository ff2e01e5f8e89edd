import { integer, jsonb, text, timestamp } from 'drizzle-orm/pg-core';
import type { ProjectSettings } from '../../contracts/project';
import { braid } from './braid-schema';

export const projects = braid.table('projects', {
  projectId: text().primaryKey(),
  name: text().notNull(),
  settings: jsonb().$type<ProjectSettings>().notNull(),
  /** The version of the project's rules (settings): 1 at creation, one more at each change. */
  rulesVersion: integer().notNull().default(1),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
});
