import type pg from 'pg';
import type { ProjectRules } from '../rules/decode-message';
import { DEFAULT_TRACKING_PLAN } from '../rules/tracking-plan';
import { getProject, type ProjectRecord } from './projects';
import type { CanaryRecord } from './rule-canaries';
import { loadRegistrySnapshot } from './schema-registry';

/** What decoding needs of a project, from its settings (and its schema registry when given). */
export function projectRules(project: ProjectRecord, registry?: ProjectRules['registry']): ProjectRules {
  return {
    projectId: project.projectId,
    channels: project.settings.channels,
    skewToleranceSeconds: project.settings.skewToleranceSeconds,
    namingConvention: project.settings.namingConvention,
    trackingPlan: { ...DEFAULT_TRACKING_PLAN, ...project.settings.trackingPlan },
    rulesVersion: project.rulesVersion,
    ...(registry ? { registry } : {}),
  };
}

/** A project's rules with its running canary's arm beside them (rules/canary-arm.ts). */
export function projectRulesWithCanary(project: ProjectRecord, canary: CanaryRecord | undefined, registry?: ProjectRules['registry']): ProjectRules {
  const rules = projectRules(project, registry);
  if (!canary) return rules;
  const split = { id: canary.id, percent: canary.percent, version: canary.canaryVersion };
  return { ...rules, canary: { split, rules: projectRules({ ...project, settings: canary.settings, rulesVersion: canary.canaryVersion }, registry) } };
}

/** A project and its decoding rules with today's registry, or null when the project does not exist. */
export async function loadProjectRules(pool: pg.Pool, projectId: string): Promise<{ project: ProjectRecord; rules: ProjectRules } | null> {
  const project = await getProject(pool, projectId);
  if (!project) return null;
  return { project, rules: projectRules(project, await loadRegistrySnapshot(pool, projectId)) };
}
