import type pg from 'pg';
import { createProjectSchema, type CreateProject, type ProjectSettings } from '../contracts/project';

export interface ProjectRecord {
  projectId: string;
  name: string;
  settings: ProjectSettings;
}

export type CreateProjectOutcome = { kind: 'created'; project: ProjectRecord } | { kind: 'exists'; project: ProjectRecord };

/** Creates a project with validated settings; an existing project id is reported, not overwritten. */
export async function createProject(pool: pg.Pool, input: CreateProject): Promise<CreateProjectOutcome> {
  const { projectId, name, ...settings } = createProjectSchema.parse(input);
  const res = await pool.query<{ project_id: string; name: string; settings: ProjectSettings }>(
    `INSERT INTO braid.projects (project_id, name, settings) VALUES ($1, $2, $3)
     ON CONFLICT (project_id) DO NOTHING RETURNING project_id, name, settings`,
    [projectId, name, settings],
  );
  if (res.rows[0]) return { kind: 'created', project: toRecord(res.rows[0]) };
  const existing = await getProject(pool, projectId);
  if (!existing) throw new Error(`project ${projectId} vanished while being created`);
  return { kind: 'exists', project: existing };
}

export async function getProject(pool: pg.Pool, projectId: string): Promise<ProjectRecord | null> {
  const res = await pool.query<{ project_id: string; name: string; settings: ProjectSettings }>(
    'SELECT project_id, name, settings FROM braid.projects WHERE project_id = $1',
    [projectId],
  );
  return res.rows[0] ? toRecord(res.rows[0]) : null;
}

export async function listProjects(pool: pg.Pool): Promise<ProjectRecord[]> {
  const res = await pool.query<{ project_id: string; name: string; settings: ProjectSettings }>(
    'SELECT project_id, name, settings FROM braid.projects ORDER BY project_id',
  );
  return res.rows.map(toRecord);
}

function toRecord(row: { project_id: string; name: string; settings: ProjectSettings }): ProjectRecord {
  return { projectId: row.project_id, name: row.name, settings: row.settings };
}
