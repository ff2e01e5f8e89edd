import type pg from 'pg';
import { listSchemaVersions, registryGeneration, snapshotsByProject } from '../db/schema-registry';
import { EMPTY_REGISTRY, type RegistrySnapshot } from '../rules/schema-snapshot';
import { SchemaCompiler } from '../rules/schema-validation';

const CLOCK_MARGIN_MS = 2_000;

/**
 * The schema registry as ingest sees it: one compiled snapshot per project,
 * refreshed without restarts. Before a chunk is decoded it asks Postgres for
 * the registry's generation (one tiny query) when the cache is stale, or when
 * a message in the chunk was received after (or near) the last check began,
 * so an event published after a push committed is judged by that push. The
 * full reload happens only when the generation changed, and compiles only
 * schemas it has not compiled before. A backlog of old messages costs no query.
 */
export class SchemaRegistryCache {
  private snapshots = new Map<string, RegistrySnapshot>();
  private generation: string | null = null;
  private lastCheckMs = 0;
  private lastCheckStartedMs = 0;
  private checking: Promise<void> | null = null;
  private readonly compiler = new SchemaCompiler();

  constructor(private readonly pool: pg.Pool, private readonly refreshMs = 5_000) {}

  snapshot(projectId: string): RegistrySnapshot {
    return this.snapshots.get(projectId) ?? EMPTY_REGISTRY;
  }

  async refreshFor(messages: Iterable<{ receivedAtMs: number }>, nowMs = Date.now()): Promise<void> {
    // A check already under way may have begun before these messages arrived: let it finish, then judge.
    if (this.checking) await this.checking.catch(() => undefined);
    const stale = nowMs - this.lastCheckMs >= this.refreshMs;
    let newer = false;
    for (const m of messages) {
      if (m.receivedAtMs >= this.lastCheckStartedMs - CLOCK_MARGIN_MS) {
        newer = true;
        break;
      }
    }
    if (stale || newer) await this.check();
  }

  /** Checks the generation and reloads when it changed. */
  check(): Promise<void> {
    this.checking ??= (async () => {
      const startedMs = Date.now();
      try {
        const generation = await registryGeneration(this.pool);
        if (generation !== this.generation) {
          const rows = await listSchemaVersions(this.pool);
          this.snapshots = snapshotsByProject(rows, this.compiler);
          this.generation = generation;
        }
        this.lastCheckMs = Date.now();
        this.lastCheckStartedMs = startedMs;
      } finally {
        this.checking = null;
      }
    })();
    return this.checking;
  }
}
