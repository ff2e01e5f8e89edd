import { jsonb, text, timestamp } from 'drizzle-orm/pg-core';
import type { ProjectSettings } from '../../contracts/project';
import { braid } from './braid-schema';

export const projects = braid.table('projects', {
  projectId: text().primaryKey(),
  name: text().notNull(),
  settings: jsonb().$type<ProjectSettings>().notNull(),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
});
