import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { anyOf } from './bulk';
import { createDb, type Connection } from './client';
import { projects, projectSecrets } from './schema';

/**
 * The settings and PII key of each of these projects, giving a project its
 * key the first time one is asked for.
 */
export async function projectsWithKeys(connection: Connection, projectIds: readonly string[]) {
  if (projectIds.length === 0) return [];
  const db = createDb(connection);
  await db
    .insert(projectSecrets)
    .values(projectIds.map((projectId) => ({ projectId, piiKey: randomBytes(32) })))
    .onConflictDoNothing();
  return db
    .select({ projectId: projects.projectId, settings: projects.settings, rulesVersion: projects.rulesVersion, piiKey: projectSecrets.piiKey })
    .from(projects)
    .innerJoin(projectSecrets, eq(projectSecrets.projectId, projects.projectId))
    .where(anyOf(projects.projectId, projectIds));
}
