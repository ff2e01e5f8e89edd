import type pg from 'pg';
import { createProjectSchema, projectSettingsSchema, type CreateProject, type ProjectSettings } from '../contracts/project';
import { createWriteKeys } from './write-keys';

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

/** Creates a project and one write key per channel in one transaction; the keys are returned once. */
export async function createProjectWithKeys(
  pool: pg.Pool,
  input: CreateProject,
): Promise<{ kind: 'created'; project: ProjectRecord; writeKeys: Record<string, string> } | { kind: 'exists' }> {
  const { projectId, name, ...settings } = createProjectSchema.parse(input);
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const res = await client.query<{ project_id: string; name: string; settings: ProjectSettings }>(
      `INSERT INTO braid.projects (project_id, name, settings) VALUES ($1, $2, $3)
       ON CONFLICT (project_id) DO NOTHING RETURNING project_id, name, settings`,
      [projectId, name, settings],
    );
    if (!res.rows[0]) {
      await client.query('ROLLBACK');
      return { kind: 'exists' };
    }
    const writeKeys = await createWriteKeys(client, projectId, settings.channels);
    await client.query('COMMIT');
    return { kind: 'created', project: toRecord(res.rows[0]), writeKeys };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/**
 * Applies a settings patch (validated whole, after merging) and creates write
 * keys for channels it adds; returns null when the project does not exist.
 */
export async function updateProjectSettings(
  pool: pg.Pool,
  projectId: string,
  patch: { name?: string } & Partial<ProjectSettings>,
): Promise<{ project: ProjectRecord; newWriteKeys: Record<string, string> } | null> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const current = await client.query<{ name: string; settings: ProjectSettings }>('SELECT name, settings FROM braid.projects WHERE project_id = $1 FOR UPDATE', [projectId]);
    const row = current.rows[0];
    if (!row) {
      await client.query('ROLLBACK');
      return null;
    }
    const { name = row.name, ...settingsPatch } = patch;
    const settings = projectSettingsSchema.parse({ ...row.settings, ...settingsPatch });
    await client.query('UPDATE braid.projects SET name = $2, settings = $3, rules_version = rules_version + 1, updated_at = now() WHERE project_id = $1', [projectId, name, settings]);
    const added = settings.channels.filter((c) => !row.settings.channels.includes(c));
    const newWriteKeys = await createWriteKeys(client, projectId, added);
    await client.query('COMMIT');
    return { project: { projectId, name, settings }, newWriteKeys };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
