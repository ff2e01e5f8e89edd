import type pg from 'pg';
import type { ProjectRules } from '../rules/decode-message';
import { DEFAULT_TRACKING_PLAN } from '../rules/tracking-plan';
import { getProject, type ProjectRecord } from './projects';
import { loadRegistrySnapshot } from './schema-registry';

/** What decoding needs of a project, from its settings (and its schema registry when given). */
export function projectRules(project: ProjectRecord, registry?: ProjectRules['registry']): ProjectRules {
  return {
    projectId: project.projectId,
    channels: project.settings.channels,
    skewToleranceSeconds: project.settings.skewToleranceSeconds,
    namingConvention: project.settings.namingConvention,
    trackingPlan: { ...DEFAULT_TRACKING_PLAN, ...project.settings.trackingPlan },
    ...(registry ? { registry } : {}),
  };
}

/** A project and its decoding rules with today's registry, or null when the project does not exist. */
export async function loadProjectRules(pool: pg.Pool, projectId: string): Promise<{ project: ProjectRecord; rules: ProjectRules } | null> {
  const project = await getProject(pool, projectId);
  if (!project) return null;
  return { project, rules: projectRules(project, await loadRegistrySnapshot(pool, projectId)) };
}
