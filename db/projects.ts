import { eq, sql } from 'drizzle-orm';
import type pg from 'pg';
import { createProjectSchema, projectSettingsSchema, type CreateProject, type ProjectSettings } from '../contracts/project';
import { CANARY_SETTINGS } from '../contracts/canary';
import { changedSettings } from '../rules/canary-arm';
import { createDb } from './client';
import { nextRulesVersion, runningCanaryOf } from './rule-canaries';
import { projects } from './schema';
import { createWriteKeys } from './write-keys';

export interface ProjectRecord {
  projectId: string;
  name: string;
  settings: ProjectSettings;
  /** The version of the settings (lineage's `rules_version`): one more at each change. */
  rulesVersion: number;
}

type ProjectRow = { project_id: string; name: string; settings: ProjectSettings; rules_version: number };

export type CreateProjectOutcome = { kind: 'created'; project: ProjectRecord } | { kind: 'exists'; project: ProjectRecord };

/** Creates a project with validated settings; an existing project id is reported, not overwritten. */
export async function createProject(pool: pg.Pool, input: CreateProject): Promise<CreateProjectOutcome> {
  const { projectId, name, ...settings } = createProjectSchema.parse(input);
  const res = await pool.query<ProjectRow>(
    `INSERT INTO braid.projects (project_id, name, settings) VALUES ($1, $2, $3)
     ON CONFLICT (project_id) DO NOTHING RETURNING project_id, name, settings, rules_version`,
    [projectId, name, settings],
  );
  if (res.rows[0]) return { kind: 'created', project: toRecord(res.rows[0]) };
  const existing = await getProject(pool, projectId);
  if (!existing) throw new Error(`project ${projectId} vanished while being created`);
  return { kind: 'exists', project: existing };
}

export async function getProject(pool: pg.Pool, projectId: string): Promise<ProjectRecord | null> {
  const res = await pool.query<ProjectRow>(
    'SELECT project_id, name, settings, rules_version FROM braid.projects WHERE project_id = $1',
    [projectId],
  );
  return res.rows[0] ? toRecord(res.rows[0]) : null;
}

export async function listProjects(pool: pg.Pool): Promise<ProjectRecord[]> {
  const res = await pool.query<ProjectRow>(
    'SELECT project_id, name, settings, rules_version FROM braid.projects ORDER BY project_id',
  );
  return res.rows.map(toRecord);
}

function toRecord(row: ProjectRow): ProjectRecord {
  return { projectId: row.project_id, name: row.name, settings: row.settings, rulesVersion: row.rules_version };
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
    const res = await client.query<ProjectRow>(
      `INSERT INTO braid.projects (project_id, name, settings) VALUES ($1, $2, $3)
       ON CONFLICT (project_id) DO NOTHING RETURNING project_id, name, settings, rules_version`,
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

export type UpdateProjectOutcome =
  | { kind: 'updated'; project: ProjectRecord; newWriteKeys: Record<string, string> }
  | { kind: 'not_found' }
  /** The patch changes rules a running canary is comparing: promote or roll it back first. */
  | { kind: 'canary_running'; canaryId: string; settings: string[] };

/**
 * Applies a settings patch (validated whole, after merging) under a new rules
 * version and creates write keys for channels it adds. While a canary runs,
 * a patch may not change the rules it tries (contracts/canary.ts).
 */
export async function updateProjectSettings(pool: pg.Pool, projectId: string, patch: { name?: string } & Partial<ProjectSettings>): Promise<UpdateProjectOutcome> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const current = await client.query<{ name: string; settings: ProjectSettings }>('SELECT name, settings FROM braid.projects WHERE project_id = $1 FOR UPDATE', [projectId]);
    const row = current.rows[0];
    if (!row) {
      await client.query('ROLLBACK');
      return { kind: 'not_found' };
    }
    const { name = row.name, ...settingsPatch } = patch;
    const settings = projectSettingsSchema.parse({ ...row.settings, ...settingsPatch });
    const changed = changedSettings(row.settings, settings);
    const canary = await runningCanaryOf(client, projectId);
    const tried = canary ? changed.filter((k) => (CANARY_SETTINGS as readonly string[]).includes(k)) : [];
    if (canary && tried.length > 0) {
      await client.query('ROLLBACK');
      return { kind: 'canary_running', canaryId: canary.id, settings: tried };
    }
    // A new rules version only when a setting changes (a new name is not a new rule).
    const [updated] = await createDb(client)
      .update(projects)
      .set({ name, settings, updatedAt: sql`now()`, ...(changed.length > 0 ? { rulesVersion: nextRulesVersion(projectId) } : {}) })
      .where(eq(projects.projectId, projectId))
      .returning({ rulesVersion: projects.rulesVersion });
    const added = settings.channels.filter((c) => !row.settings.channels.includes(c));
    const newWriteKeys = await createWriteKeys(client, projectId, added);
    await client.query('COMMIT');
    return { kind: 'updated', project: { projectId, name, settings, rulesVersion: updated!.rulesVersion }, newWriteKeys };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
