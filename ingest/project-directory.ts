import type pg from 'pg';
import { projectRulesWithCanary } from '../db/project-rules';
import { runningCanaries, type CanaryRecord } from '../db/rule-canaries';
import { listProjects, type ProjectRecord } from '../db/projects';
import { DEFAULT_SESSION_HOSTS } from '../contracts/hosting';
import type { ProjectRules } from '../rules/decode-message';
import { SchemaRegistryCache } from './schema-registry-cache';

const CLOCK_MARGIN_MS = 2_000;

export interface ProjectView extends ProjectRules {
  sessionTimeoutMs: number;
  /** Host workflows for the project's device actors. */
  sessionHosts: number;
}

/**
 * The projects ingest knows. Reloaded when stale, and whenever a message names
 * an unknown project and was published after (or near) the last load began,
 * so an event sent right after its project was created is never rejected as
 * `unknown_project`. A flood of unknown projects costs at most one small
 * query per chunk. Each project comes with its schema registry snapshot,
 * kept fresh by the SchemaRegistryCache the same way, and with its running
 * canary, whose arm decides the messages of the devices it takes.
 */
export class ProjectDirectory {
  private projects = new Map<string, ProjectView>();
  private lastLoadMs = 0;
  private lastLoadStartedMs = 0;
  private loading: Promise<void> | null = null;

  readonly schemas: SchemaRegistryCache;

  constructor(private readonly pool: pg.Pool, private readonly refreshMs = 5_000) {
    this.schemas = new SchemaRegistryCache(pool, refreshMs);
  }

  get(projectId: string): ProjectView | undefined {
    const view = this.projects.get(projectId);
    if (!view) return undefined;
    const registry = this.schemas.snapshot(projectId);
    return { ...view, registry, ...(view.canary ? { canary: { ...view.canary, rules: { ...view.canary.rules, registry } } } : {}) };
  }

  /**
   * Reloads when stale, or when a message for an unknown project was received
   * after the last load began (less a margin for clocks between hosts).
   */
  async refreshFor(messages: Iterable<{ projectId: string; receivedAtMs: number }>, nowMs = Date.now()): Promise<void> {
    const list = [...messages];
    const stale = nowMs - this.lastLoadMs >= this.refreshMs;
    const unknownAndNewer = list.some(
      (m) => !this.projects.has(m.projectId) && m.receivedAtMs >= this.lastLoadStartedMs - CLOCK_MARGIN_MS,
    );
    await Promise.all([stale || unknownAndNewer ? this.loadProjects() : undefined, this.schemas.refreshFor(list, nowMs)]);
  }

  async load(): Promise<void> {
    await Promise.all([this.loadProjects(), this.schemas.check()]);
  }

  private loadProjects(): Promise<void> {
    this.loading ??= (async () => {
      const startedMs = Date.now();
      try {
        const [rows, canaries] = await Promise.all([listProjects(this.pool), runningCanaries(this.pool)]);
        const canaryOf = new Map(canaries.map((c) => [c.projectId, c]));
        this.projects = new Map(rows.map((p) => [p.projectId, toView(p, canaryOf.get(p.projectId))]));
        this.lastLoadMs = Date.now();
        this.lastLoadStartedMs = startedMs;
      } finally {
        this.loading = null;
      }
    })();
    return this.loading;
  }
}

function toView(p: ProjectRecord, canary: CanaryRecord | undefined): ProjectView {
  return { ...projectRulesWithCanary(p, canary), sessionTimeoutMs: p.settings.sessionTimeoutMinutes * 60_000, sessionHosts: p.settings.sessionHosts ?? DEFAULT_SESSION_HOSTS };
}
