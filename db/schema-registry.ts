import type pg from 'pg';
import type { SchemaChange } from '../rules/schema-compatibility';
import { decidePush, type PushChange, type PushDecision, type PushRequest } from '../rules/schema-push';
import { GROUP_KEY, IDENTIFY_KEY } from '../contracts/schemas';
import { buildRegistrySnapshot, schemaTargetOf, type RegisteredSchema, type RegistrySnapshot } from '../rules/schema-snapshot';
import { SchemaCompiler, type JsonSchema } from '../rules/schema-validation';
import { parseSchemaVersion } from '../rules/schema-version';

export interface SchemaVersionRecord {
  projectId: string;
  eventKey: string;
  version: string;
  schema: JsonSchema;
  createdBy: string | null;
  createdAt: string;
}

export interface ChangelogRecord {
  id: number;
  eventKey: string;
  version: string;
  previousVersion: string | null;
  change: PushChange;
  author: string | null;
  changedAt: string;
  summary: string;
  diff: SchemaChange[];
  comment: string | null;
}

type VersionRow = { project_id: string; event_key: string; version: string; schema: JsonSchema; created_by: string | null; created_at: Date };

const VERSION_COLUMNS = 'project_id, event_key, version, schema, created_by, created_at';
const ORDER_NEWEST = 'model DESC, revision DESC, addition DESC';

function toVersion(r: VersionRow): SchemaVersionRecord {
  return { projectId: r.project_id, eventKey: r.event_key, version: r.version, schema: r.schema, createdBy: r.created_by, createdAt: r.created_at.toISOString() };
}

/** Every version of every key (of one project, or of all): what a registry snapshot is built from. */
export async function listSchemaVersions(db: pg.Pool | pg.PoolClient, projectId?: string): Promise<SchemaVersionRecord[]> {
  const res = await db.query<VersionRow>(
    `SELECT ${VERSION_COLUMNS} FROM braid.event_schemas WHERE ($1::text IS NULL OR project_id = $1) ORDER BY project_id, event_key, ${ORDER_NEWEST}`,
    [projectId ?? null],
  );
  return res.rows.map(toVersion);
}

/** The current version of each key of a project. */
export async function listCurrentSchemas(pool: pg.Pool, projectId: string): Promise<SchemaVersionRecord[]> {
  const res = await pool.query<VersionRow>(
    `SELECT DISTINCT ON (event_key) ${VERSION_COLUMNS} FROM braid.event_schemas WHERE project_id = $1 ORDER BY event_key, ${ORDER_NEWEST}`,
    [projectId],
  );
  return res.rows.map(toVersion);
}

/** One key's current version, or a given one. */
export async function getSchemaVersion(pool: pg.Pool, projectId: string, eventKey: string, version?: string): Promise<SchemaVersionRecord | null> {
  const res = await pool.query<VersionRow>(
    `SELECT ${VERSION_COLUMNS} FROM braid.event_schemas WHERE project_id = $1 AND event_key = $2 AND ($3::text IS NULL OR version = $3)
     ORDER BY ${ORDER_NEWEST} LIMIT 1`,
    [projectId, eventKey, version ?? null],
  );
  return res.rows[0] ? toVersion(res.rows[0]) : null;
}

/** A key's changelog, newest first. */
export async function schemaChangelog(pool: pg.Pool, projectId: string, eventKey: string): Promise<ChangelogRecord[]> {
  const res = await pool.query<{
    id: number;
    event_key: string;
    version: string;
    previous_version: string | null;
    change: PushChange;
    author: string | null;
    changed_at: Date;
    summary: string;
    diff: SchemaChange[];
    comment: string | null;
  }>(
    `SELECT id, event_key, version, previous_version, change, author, changed_at, summary, diff, comment
       FROM braid.schema_changelog WHERE project_id = $1 AND event_key = $2 ORDER BY id DESC`,
    [projectId, eventKey],
  );
  return res.rows.map((r) => ({
    id: r.id,
    eventKey: r.event_key,
    version: r.version,
    previousVersion: r.previous_version,
    change: r.change,
    author: r.author,
    changedAt: r.changed_at.toISOString(),
    summary: r.summary,
    diff: r.diff,
    comment: r.comment,
  }));
}

/**
 * A cheap fingerprint of the whole registry: changes whenever a version is
 * added, including one whose transaction commits after a later id's.
 */
export async function registryGeneration(pool: pg.Pool): Promise<string> {
  const res = await pool.query<{ n: number; max: number | null }>(`SELECT count(*)::bigint AS n, max(id) AS max FROM braid.event_schemas`);
  const row = res.rows[0];
  return `${row?.n ?? 0}:${row?.max ?? 0}`;
}

/** Compiles stored versions into snapshots per project (reusing compiled validators). */
export function snapshotsByProject(rows: readonly SchemaVersionRecord[], compiler: SchemaCompiler): Map<string, RegistrySnapshot> {
  const byProject = new Map<string, RegisteredSchema[]>();
  for (const row of rows) {
    const compiled = compiler.compile(row.schema, schemaTargetOf(row.eventKey));
    // A stored schema compiles (it did when pushed); should ajv ever disagree, the key is left unchecked rather than stopping ingest.
    if (!compiled.ok) continue;
    const list = byProject.get(row.projectId) ?? [];
    list.push({ key: row.eventKey, version: row.version, schema: row.schema, validate: compiled.validate });
    byProject.set(row.projectId, list);
  }
  return new Map([...byProject].map(([projectId, entries]) => [projectId, buildRegistrySnapshot(entries)]));
}

const sharedCompiler = new SchemaCompiler();

/** One project's registry as of now, for replays, backfills and `schema check`. */
export async function loadRegistrySnapshot(pool: pg.Pool, projectId: string): Promise<RegistrySnapshot> {
  const rows = await listSchemaVersions(pool, projectId);
  return snapshotsByProject(rows, sharedCompiler).get(projectId) ?? buildRegistrySnapshot([]);
}

export interface PushInput extends PushRequest {
  projectId: string;
  author: string | null;
  force?: boolean;
  comment?: string;
}

export type PushOutcome =
  | Exclude<PushDecision, { kind: 'accept' }>
  | { kind: 'accepted'; version: string; previousVersion: string | null; change: PushChange; summary: string; changes: SchemaChange[]; changelogId: number; changedAt: string };

/** Recent events a first version or a new MODEL is tried on. */
const SAMPLE_EVENTS = 200;
const SAMPLE_DAYS = 30;

/**
 * Pushes a schema version: decides it against the stored versions (rules/schema-push.ts)
 * under a per-key lock, refuses a first version or new MODEL that every recent
 * event of the key would fail (unless forced), then writes the version and its
 * changelog row in one transaction.
 */
export async function pushSchema(pool: pg.Pool, input: PushInput): Promise<PushOutcome> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SELECT pg_advisory_xact_lock(hashtext('braid:schema:' || $1 || ':' || $2))`, [input.projectId, input.key]);
    const stored = await client.query<{ version: string; schema: JsonSchema }>(
      `SELECT version, schema FROM braid.event_schemas WHERE project_id = $1 AND event_key = $2`,
      [input.projectId, input.key],
    );
    const decision = decidePush(input, stored.rows);
    if (decision.kind !== 'accept') {
      await client.query('ROLLBACK');
      return decision;
    }
    if ((decision.change === 'initial' || decision.change === 'model') && !input.force) {
      const refusal = await tryOnRecentEvents(client, input.projectId, input.key, input.schema as JsonSchema);
      if (refusal) {
        await client.query('ROLLBACK');
        return refusal;
      }
    }
    const v = parseSchemaVersion(decision.version);
    if (!v) throw new Error(`decidePush produced an invalid version ${decision.version}`);
    await client.query(
      `INSERT INTO braid.event_schemas (project_id, event_key, model, revision, addition, version, schema, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [input.projectId, input.key, v.model, v.revision, v.addition, decision.version, JSON.stringify(input.schema), input.author],
    );
    const log = await client.query<{ id: number; changed_at: Date }>(
      `INSERT INTO braid.schema_changelog (project_id, event_key, version, previous_version, change, author, summary, diff, comment)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id, changed_at`,
      [input.projectId, input.key, decision.version, decision.previousVersion, decision.change, input.author, decision.summary, JSON.stringify(decision.changes), input.comment ?? null],
    );
    await client.query('COMMIT');
    const row = log.rows[0] as { id: number; changed_at: Date };
    return {
      kind: 'accepted',
      version: decision.version,
      previousVersion: decision.previousVersion,
      change: decision.change,
      summary: decision.summary,
      changes: decision.changes,
      changelogId: row.id,
      changedAt: row.changed_at.toISOString(),
    };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

async function tryOnRecentEvents(client: pg.PoolClient, projectId: string, key: string, schema: JsonSchema): Promise<PushOutcome | null> {
  const target = schemaTargetOf(key);
  const byType = key === IDENTIFY_KEY ? 'identify' : key === GROUP_KEY ? 'group' : 'track';
  const res = await client.query<{ value: Record<string, unknown> }>(
    `SELECT ${target === 'traits' ? 'traits' : 'properties'} AS value FROM braid.canonical_events
      WHERE project_id = $1 AND type = $2 AND ($2 <> 'track' OR event = $3) AND event_time > now() - make_interval(days => $4)
      ORDER BY event_time DESC LIMIT $5`,
    [projectId, byType, key, SAMPLE_DAYS, SAMPLE_EVENTS],
  );
  if (res.rows.length === 0) return null;
  const compiled = sharedCompiler.compile(schema, target);
  if (!compiled.ok) return null;
  const failures = res.rows.map((r) => compiled.validate(r.value));
  if (failures.some((errors) => errors.length === 0)) return null;
  const first = failures[0]?.[0];
  return {
    kind: 'refuse',
    status: 409,
    code: 'incompatible_schema',
    message: `every one of the ${res.rows.length} most recent ${key} events would fail this schema (${first ? `${first.path} ${first.message}` : 'invalid'}); push with force if producers change with it`,
    details: failures.slice(0, 5).map((errors, i) => ({ path: errors[0]?.path ?? target, rule: 'rejects_existing_events', message: `recent event ${i + 1}: ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}` })),
  };
}
