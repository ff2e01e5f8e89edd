import type pg from 'pg';
import { projectsReadableBy } from '../db/analyst-access';
import type { TokenIdentity } from '../db/api-tokens';
import { getProject, type ProjectRecord } from '../db/projects';
import { ApiError } from './errors';

/** The project a route names, or the API's 404 `unknown_project`. */
export async function requireProject(pool: pg.Pool, projectId: string): Promise<ProjectRecord> {
  const project = await getProject(pool, projectId);
  if (!project) throw new ApiError(404, 'unknown_project', `project ${projectId} does not exist`);
  return project;
}

/**
 * Which projects a token reads: admins and operators all of them; an analyst
 * token those granted to the Postgres analyst role named like the token
 * (`braid analyst grant <token name> <project>`), so the API and row-level
 * security agree on what an analyst may see. Null: every project.
 */
export async function readableProjects(pool: pg.Pool, identity: TokenIdentity | undefined): Promise<Set<string> | null> {
  if (identity?.role !== 'analyst') return null;
  return new Set(await projectsReadableBy(pool, identity.name));
}

/**
 * The project a route names when the token may read it. An analyst token gets
 * the same 404 `unknown_project` for a project it may not read as for one that
 * does not exist, so it learns nothing about other tenants.
 */
export async function requireReadableProject(pool: pg.Pool, identity: TokenIdentity | undefined, projectId: string): Promise<ProjectRecord> {
  const readable = await readableProjects(pool, identity);
  if (readable && !readable.has(projectId)) throw new ApiError(404, 'unknown_project', `project ${projectId} does not exist`);
  return requireProject(pool, projectId);
}

/** Whether the token may read the project's data (an analyst: only granted projects). */
export async function mayRead(pool: pg.Pool, identity: TokenIdentity | undefined, projectId: string): Promise<boolean> {
  const readable = await readableProjects(pool, identity);
  return readable === null || readable.has(projectId);
}
