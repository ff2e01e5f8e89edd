import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { runMigrations } from './migrate';

/**
 * Views as code: db/views/<name>.sql holds the current definition of each view and function of
 * schema `analytics`, once. Migrations are derived from it: a database migrated from scratch is
 * compared with what the files yield, and whatever differs becomes one custom migration
 * (scripts/derive-view-migration.ts). Grants, row-level security and security_invoker stay the
 * business of braid.apply_analyst_access(), which every derived migration ends with.
 */
export const VIEWS_FOLDER = join(__dirname, 'views');

export type AnalyticsKind = 'view' | 'function';

export interface ViewFile {
  name: string;
  kind: AnalyticsKind;
  /** The file as written: one CREATE OR REPLACE statement (plus comments, or a COMMENT ON). */
  sql: string;
  /** Other files' objects it names (`analytics.<name>` outside comments). */
  reads: string[];
}

/** An analytics view or function as the catalog has it, normalized so two databases compare. */
export interface AnalyticsObject {
  name: string;
  kind: AnalyticsKind;
  /** pg_get_viewdef / pg_get_functiondef with every name schema-qualified. */
  definition: string;
  /** Views: reloptions (security_invoker, security_barrier, check_option). */
  options: string[];
  /** Views: `name type` per column; functions: the argument list and the result. */
  shape: string[];
  comment: string | null;
  /** Functions: the identity arguments (what DROP FUNCTION needs). */
  identity: string;
  /** The analytics objects it depends on, per pg_depend. */
  dependsOn: string[];
}

export type AnalyticsState = Map<string, AnalyticsObject>;

const CREATE = /^CREATE\s+OR\s+REPLACE\s+(VIEW|FUNCTION)\s+analytics\.([a-z_][a-z0-9_]*)\b/gim;

/** The files of db/views, each checked, in dependency order (an object after what it reads). */
export function loadViewFiles(folder: string = VIEWS_FOLDER): ViewFile[] {
  const names = readdirSync(folder).filter((f) => f.endsWith('.sql')).map((f) => f.slice(0, -'.sql'.length)).sort();
  const parsed = names.map((name) => {
    const sql = readFileSync(join(folder, `${name}.sql`), 'utf8');
    const creates = [...sql.matchAll(CREATE)];
    if (creates.length !== 1 || creates[0]?.[2] !== name) {
      throw new Error(`db/views/${name}.sql must hold one CREATE OR REPLACE VIEW or FUNCTION analytics.${name}`);
    }
    if (sql.includes('--> statement-breakpoint')) throw new Error(`db/views/${name}.sql must not contain statement breakpoints`);
    return { name, kind: (creates[0][1] as string).toLowerCase() as AnalyticsKind, sql };
  });
  const known = new Set(names);
  const files = parsed.map((f) => {
    const code = f.sql.replace(/--[^\n]*/g, '');
    const reads = [...new Set([...code.matchAll(/\banalytics\.([a-z_][a-z0-9_]*)\b/gi)].map((m) => (m[1] as string).toLowerCase()))]
      .filter((n) => n !== f.name && known.has(n))
      .sort();
    return { ...f, reads };
  });
  return dependencyOrder(files, (f) => f.name, (f) => f.reads);
}

/** Items ordered so each comes after the ones it names (ties by name); a cycle is an error. */
function dependencyOrder<T>(items: T[], nameOf: (item: T) => string, needs: (item: T) => string[]): T[] {
  const byName = new Map(items.map((i) => [nameOf(i), i]));
  const done = new Set<string>();
  const visiting = new Set<string>();
  const ordered: T[] = [];
  const visit = (name: string, path: string[]) => {
    if (done.has(name)) return;
    if (visiting.has(name)) throw new Error(`analytics objects depend on each other in a cycle: ${[...path, name].join(' → ')}`);
    visiting.add(name);
    const item = byName.get(name) as T;
    for (const need of [...needs(item)].sort()) if (byName.has(need)) visit(need, [...path, name]);
    visiting.delete(name);
    done.add(name);
    ordered.push(item);
  };
  for (const name of [...byName.keys()].sort()) visit(name, []);
  return ordered;
}

/**
 * Runs `work` with search_path pg_catalog, so every other name prints schema-qualified and two
 * databases print the same text for the same definition; the previous search_path comes back after.
 */
async function withQualifiedNames<T>(client: pg.ClientBase, work: () => Promise<T>): Promise<T> {
  const previous = (await client.query<{ path: string }>(`SELECT current_setting('search_path') AS path`)).rows[0]?.path ?? '';
  await client.query(`SELECT set_config('search_path', 'pg_catalog', false)`);
  try {
    return await work();
  } finally {
    await client.query(`SELECT set_config('search_path', $1, false)`, [previous]);
  }
}

/** Every view and function of schema analytics, normalized (see AnalyticsObject). Read-only. */
export function readAnalyticsState(client: pg.ClientBase): Promise<AnalyticsState> {
  return withQualifiedNames(client, async () => {
    const views = await client.query<{ name: string; definition: string; options: string[] | null; comment: string | null; columns: string[] }>(
      `SELECT c.relname AS name, pg_get_viewdef(c.oid, true) AS definition, c.reloptions AS options,
              obj_description(c.oid, 'pg_class') AS comment,
              ARRAY(SELECT a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || coalesce(' -- ' || col_description(c.oid, a.attnum), '')
                    FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum) AS columns
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = 'analytics' AND c.relkind = 'v'`,
    );
    const functions = await client.query<{ name: string; definition: string; comment: string | null; args: string; result: string; identity: string }>(
      `SELECT p.proname AS name, pg_get_functiondef(p.oid) AS definition, obj_description(p.oid, 'pg_proc') AS comment,
              pg_get_function_arguments(p.oid) AS args, pg_get_function_result(p.oid) AS result,
              pg_get_function_identity_arguments(p.oid) AS identity
       FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
       WHERE n.nspname = 'analytics'`,
    );
    // Who reads whom among them: a view through its rewrite rule, a function (SQL-standard body) directly.
    const edges = await client.query<{ dependent: string; referenced: string }>(
      `WITH objects AS (
         SELECT 'pg_class'::regclass AS classid, c.oid, c.relname AS name
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'analytics' AND c.relkind = 'v'
         UNION ALL
         SELECT 'pg_proc'::regclass, p.oid, p.proname
         FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'analytics'
       )
       SELECT DISTINCT dependent.name AS dependent, referenced.name AS referenced
       FROM pg_depend d
       JOIN objects referenced ON referenced.classid = d.refclassid AND referenced.oid = d.refobjid
       LEFT JOIN pg_rewrite r ON d.classid = 'pg_rewrite'::regclass AND r.oid = d.objid
       JOIN objects dependent ON (dependent.classid = 'pg_class'::regclass AND dependent.oid = r.ev_class)
                              OR (d.classid = 'pg_proc'::regclass AND dependent.classid = 'pg_proc'::regclass AND dependent.oid = d.objid)
       WHERE dependent.name <> referenced.name`,
    );
    const dependsOn = (name: string) => edges.rows.filter((e) => e.dependent === name).map((e) => e.referenced).sort();

    const state: AnalyticsState = new Map();
    const add = (object: AnalyticsObject) => {
      if (state.has(object.name)) throw new Error(`analytics.${object.name} exists twice (an overload, or a view and a function): one file holds one object`);
      state.set(object.name, object);
    };
    for (const v of views.rows) {
      add({ name: v.name, kind: 'view', definition: v.definition, options: [...(v.options ?? [])].sort(), shape: v.columns, comment: v.comment, identity: '', dependsOn: dependsOn(v.name) });
    }
    for (const f of functions.rows) {
      add({ name: f.name, kind: 'function', definition: f.definition, options: [], shape: [`(${f.args})`, `RETURNS ${f.result}`], comment: f.comment, identity: f.identity, dependsOn: dependsOn(f.name) });
    }
    return new Map([...state].sort(([a], [b]) => (a < b ? -1 : 1)));
  });
}

/**
 * What analysts may do, as lines to compare: privileges on the analytics schema, views and
 * functions and on braid's tables and columns, and braid's row-level security. The part of the
 * database braid.apply_analyst_access() decides.
 */
export function readAnalystAccess(client: pg.ClientBase): Promise<string[]> {
  return withQualifiedNames(client, () => accessLines(client));
}

async function accessLines(client: pg.ClientBase): Promise<string[]> {
  const acl = (items: string[] | null) => (items ? [...items].sort().join(',') : '(default)');
  const lines: string[] = [];
  const schemas = await client.query<{ name: string; acl: string[] | null }>(
    `SELECT nspname AS name, nspacl::text[] AS acl FROM pg_namespace WHERE nspname IN ('analytics', 'braid')`,
  );
  for (const s of schemas.rows) lines.push(`schema ${s.name}: ${acl(s.acl)}`);
  const relations = await client.query<{ name: string; acl: string[] | null; rls: boolean }>(
    `SELECT n.nspname || '.' || c.relname AS name, c.relacl::text[] AS acl, c.relrowsecurity AS rls
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE (n.nspname = 'analytics' AND c.relkind = 'v') OR (n.nspname = 'braid' AND c.relkind IN ('r', 'p') AND NOT c.relispartition)`,
  );
  for (const r of relations.rows) lines.push(`${r.name}: ${acl(r.acl)}${r.rls ? ' row security' : ''}`);
  const columns = await client.query<{ name: string; acl: string[] }>(
    `SELECT 'braid.' || c.relname || '.' || a.attname AS name, a.attacl::text[] AS acl
     FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'braid' AND c.relkind IN ('r', 'p') AND NOT c.relispartition AND a.attnum > 0 AND NOT a.attisdropped AND a.attacl IS NOT NULL`,
  );
  for (const c of columns.rows) lines.push(`${c.name}: ${acl(c.acl)}`);
  const functions = await client.query<{ name: string; acl: string[] | null }>(
    `SELECT 'analytics.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')' AS name, p.proacl::text[] AS acl
     FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'analytics'`,
  );
  for (const f of functions.rows) lines.push(`${f.name}: ${acl(f.acl)}`);
  const policies = await client.query<{ name: string; roles: string[]; cmd: string; qual: string | null }>(
    `SELECT schemaname || '.' || tablename || ' policy ' || policyname AS name, roles::text[] AS roles, cmd, qual
     FROM pg_policies WHERE schemaname = 'braid'`,
  );
  for (const p of policies.rows) lines.push(`${p.name}: ${p.cmd} to ${[...p.roles].sort().join(',')} using ${p.qual ?? '(none)'}`);
  return lines.sort();
}

/** What the files yield, and what the database has. */
export interface ViewsComparison {
  current: AnalyticsState;
  target: AnalyticsState;
  currentAccess: string[];
  /** Access once braid.apply_analyst_access() runs again over the current definitions. */
  reappliedAccess: string[];
  targetAccess: string[];
}

/**
 * Reads the database's analytics state, then what the files make of the same database: every
 * analytics view and function dropped and created from its file, then braid.apply_analyst_access().
 * The files' part is rolled back, so `client` ends as it began. Meant for a scratch database.
 */
export async function compareWithFiles(client: pg.ClientBase, files: ViewFile[]): Promise<ViewsComparison> {
  const current = await readAnalyticsState(client);
  const currentAccess = await readAnalystAccess(client);
  const reappliedAccess = await rolledBack(client, async () => {
    await client.query('SELECT braid.apply_analyst_access(); SELECT braid.apply_process_access()');
    return readAnalystAccess(client);
  });
  return rolledBack(client, async () => {
    for (const object of current.values()) {
      await client.query(
        object.kind === 'view' ? `DROP VIEW IF EXISTS analytics.${object.name} CASCADE` : `DROP FUNCTION IF EXISTS analytics.${object.name}(${object.identity}) CASCADE`,
      );
    }
    for (const file of files) {
      await client.query(file.sql).catch((error: Error) => {
        throw new Error(`db/views/${file.name}.sql does not apply: ${error.message}`);
      });
    }
    await client.query('SELECT braid.apply_analyst_access(); SELECT braid.apply_process_access()');
    const target = await readAnalyticsState(client);
    const targetAccess = await readAnalystAccess(client);
    return { current, target, currentAccess, reappliedAccess, targetAccess };
  });
}

/** Runs `work` in a transaction that is rolled back whatever happens. */
async function rolledBack<T>(client: pg.ClientBase, work: () => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    return await work();
  } finally {
    await client.query('ROLLBACK');
  }
}

/** The parts of an object a migration must change when they differ. */
function sameObject(a: AnalyticsObject, b: AnalyticsObject): boolean {
  return a.kind === b.kind && a.definition === b.definition && a.comment === b.comment && a.options.join() === b.options.join() && a.shape.join('\n') === b.shape.join('\n');
}

/** CREATE OR REPLACE can take `from` to `to`: same kind; a view keeps its columns and may add some at the end; a function keeps its arguments and result. */
function replaceable(from: AnalyticsObject, to: AnalyticsObject): boolean {
  if (from.kind !== to.kind) return false;
  if (from.kind === 'view') return from.shape.every((column, i) => to.shape[i] === column);
  return from.shape.join('\n') === to.shape.join('\n');
}

export interface ViewMigrationPlan {
  /** Statements of the migration, in order; empty when the database already matches the files. */
  statements: string[];
  created: string[];
  replaced: string[];
  /** Dropped and created again: changed beyond CREATE OR REPLACE, or reading such an object. */
  rebuilt: string[];
  dropped: string[];
  /** Objects whose analysts' access (grants, row-level security) was not brought up to date by the migrations. */
  access: string[];
}

/**
 * The migration that takes `current` to `target`: objects whose file is gone, or that changed in a
 * way CREATE OR REPLACE cannot do, are dropped together with every object that reads them (the
 * readers first), then created again from their files in dependency order along with new and
 * replaceable ones; braid.apply_analyst_access() ends it, so grants and security_invoker follow.
 */
export function planViewMigration(comparison: ViewsComparison, files: ViewFile[]): ViewMigrationPlan {
  const { current, target } = comparison;
  const created = files.filter((f) => !current.has(f.name)).map((f) => f.name).sort();
  const removed = [...current.keys()].filter((name) => !target.has(name)).sort();
  const changed = files.filter((f) => {
    const [from, to] = [current.get(f.name), target.get(f.name)];
    return from && to && !sameObject(from, to);
  }).map((f) => f.name);
  const toDrop = new Set([...removed, ...changed.filter((name) => !replaceable(current.get(name) as AnalyticsObject, target.get(name) as AnalyticsObject))]);
  // Whatever reads a dropped object goes too (and is created again from its file).
  for (let grew = true; grew; ) {
    grew = false;
    for (const object of current.values()) {
      if (!toDrop.has(object.name) && object.dependsOn.some((d) => toDrop.has(d))) {
        toDrop.add(object.name);
        grew = true;
      }
    }
  }
  const dropOrder = dependencyOrder([...toDrop].map((n) => current.get(n) as AnalyticsObject), (o) => o.name, (o) => o.dependsOn).reverse();
  const toCreate = new Set([...created, ...changed, ...[...toDrop].filter((n) => target.has(n))]);
  const access = accessDifferences(comparison);

  const statements: string[] = [];
  for (const object of dropOrder) {
    statements.push(object.kind === 'view' ? `DROP VIEW analytics.${object.name};` : `DROP FUNCTION analytics.${object.name}(${object.identity});`);
  }
  for (const file of files) if (toCreate.has(file.name)) statements.push(file.sql.trim());
  if (statements.length > 0 || access.length > 0) statements.push('SELECT braid.apply_analyst_access();', 'SELECT braid.apply_process_access();');
  return {
    statements,
    created,
    replaced: changed.filter((n) => !toDrop.has(n)).sort(),
    rebuilt: [...toDrop].filter((n) => target.has(n)).sort(),
    dropped: removed,
    access,
  };
}

/**
 * The objects (the part of an access line before its `:`) whose access is not what
 * braid.apply_analyst_access() gives even without any change of definition: a migration that
 * should have ended with it and did not.
 */
function accessDifferences(comparison: ViewsComparison): string[] {
  const [have, want] = [new Set(comparison.currentAccess), new Set(comparison.reappliedAccess)];
  const differing = [...comparison.currentAccess.filter((l) => !want.has(l)), ...comparison.reappliedAccess.filter((l) => !have.has(l))];
  return [...new Set(differing.map((line) => line.slice(0, line.indexOf(':'))))].sort();
}

/** The objects and access lines where two states differ (empty when they match). */
export function differences(comparison: ViewsComparison): string[] {
  const { current, target } = comparison;
  const names = [...new Set([...current.keys(), ...target.keys()])].sort();
  const out: string[] = [];
  for (const name of names) {
    const [from, to] = [current.get(name), target.get(name)];
    if (!from) out.push(`analytics.${name}: in db/views only`);
    else if (!to) out.push(`analytics.${name}: in the database only (no db/views/${name}.sql)`);
    else if (!sameObject(from, to)) out.push(`analytics.${name}: definition differs`);
  }
  const [have, want] = [new Set(comparison.currentAccess), new Set(comparison.targetAccess)];
  for (const line of comparison.currentAccess) if (!want.has(line)) out.push(`access: has ${line}`);
  for (const line of comparison.targetAccess) if (!have.has(line)) out.push(`access: lacks ${line}`);
  return out;
}

/**
 * Derives the migration from db/views on a database migrated from scratch (`client`), and proves
 * it: applied there (in a transaction rolled back), it must leave the database exactly as the
 * files say.
 */
export async function deriveViewMigration(client: pg.ClientBase, files: ViewFile[]): Promise<{ plan: ViewMigrationPlan; comparison: ViewsComparison }> {
  const comparison = await compareWithFiles(client, files);
  const plan = planViewMigration(comparison, files);
  if (plan.statements.length === 0) return { plan, comparison };
  const left = await rolledBack(client, async () => {
    for (const statement of plan.statements) await client.query(statement);
    return differences({ ...comparison, current: await readAnalyticsState(client), currentAccess: await readAnalystAccess(client) });
  });
  if (left.length > 0) throw new Error(`the derived migration does not reach db/views:\n  ${left.join('\n  ')}`);
  return { plan, comparison };
}

/**
 * Runs `work` on a database of its own (`braid_views_<random>` on the server `databaseUrl` names),
 * migrated from scratch with the committed migrations, and drops it afterwards.
 */
export async function withScratchDatabase<T>(databaseUrl: string, work: (client: pg.ClientBase) => Promise<T>): Promise<T> {
  const name = `braid_views_${randomBytes(4).toString('hex')}`;
  const adminUrl = new URL(databaseUrl);
  adminUrl.pathname = '/postgres';
  const scratchUrl = new URL(databaseUrl);
  scratchUrl.pathname = `/${name}`;
  const admin = new pg.Client({ connectionString: adminUrl.toString() });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
    const pool = new pg.Pool({ connectionString: scratchUrl.toString(), max: 1, application_name: 'braid-views' });
    pool.on('error', () => undefined);
    try {
      await runMigrations(pool);
      const client = await pool.connect();
      try {
        return await work(client);
      } finally {
        client.release();
      }
    } finally {
      await pool.end();
    }
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
  }
}
