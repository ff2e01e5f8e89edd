import type pg from 'pg';
import { getProject, type ProjectRecord } from '../db/projects';
import { ApiError } from './errors';

/** The project a route names, or the API's 404 `unknown_project`. */
export async function requireProject(pool: pg.Pool, projectId: string): Promise<ProjectRecord> {
  const project = await getProject(pool, projectId);
  if (!project) throw new ApiError(404, 'unknown_project', `project ${projectId} does not exist`);
  return project;
}
