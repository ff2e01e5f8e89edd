import type { Command } from 'commander';
import type pg from 'pg';
import { inTransaction as inOneTransaction } from '../../db/transaction';
import { PROJECT_ID_PATTERN } from '../../contracts/envelope';
import { createPool } from '../../db/client';
import { commandContext } from '../process';
import { renderTable } from '../table';

/**
 * `braid analyst grant|revoke|grants`: which projects a Postgres role in
 * braid_analyst may read. An admin task, so it talks to Postgres directly
 * (DATABASE_URL, as the database owner). Row-level security on braid's tables
 * (migration `analyst_functions`) does the enforcing; this only keeps
 * braid.analyst_grants and the role's membership.
 */

const GROUP_ROLES = ['braid_analyst', 'braid_operator', 'braid_ingest'];
const RESERVED_ROLE_NAMES = ['public', 'none', 'current_user', 'current_role', 'session_user'];

/** Why `name` cannot be an analyst role, or null when it can: a plain lower-case Postgres identifier of braid's choosing. */
export function analystRoleProblem(name: string): string | null {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) return 'a role name is 1–63 characters: lower-case letters, digits and _, not starting with a digit';
  if (name.startsWith('pg_')) return 'role names starting with pg_ are reserved by Postgres';
  if (GROUP_ROLES.includes(name)) return `${name} is one of braid's group roles; grant projects to a role of its own (it becomes a member of braid_analyst)`;
  if (RESERVED_ROLE_NAMES.includes(name)) return `${name} is a reserved role name`;
  return null;
}

export class AnalystGrantError extends Error {}

export interface GrantOutcome {
  /** The role did not exist and was created NOLOGIN, member of braid_analyst. */
  roleCreated: boolean;
  /** The role existed but was not in braid_analyst, and now is. */
  joinedAnalysts: boolean;
  /** The grant was there already. */
  alreadyGranted: boolean;
}

export interface AnalystGrant {
  roleName: string;
  projectId: string;
  grantedAt: Date;
  grantedBy: string | null;
}

function checkArguments(role: string, projectId: string): void {
  const problem = analystRoleProblem(role);
  if (problem) throw new AnalystGrantError(`invalid role ${JSON.stringify(role)}: ${problem}`);
  if (!PROJECT_ID_PATTERN.test(projectId)) throw new AnalystGrantError(`invalid project id ${JSON.stringify(projectId)}`);
}

async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  try {
    return await inOneTransaction(pool, work);
  } catch (error) {
    if ((error as { code?: string }).code === '42P01') throw new AnalystGrantError('braid.analyst_grants does not exist: run `braid migrate` first');
    throw error;
  }
}

/**
 * Lets `role` read `projectId` through the analytics views and functions:
 * creates the role (NOLOGIN, member of braid_analyst) when missing, adds it
 * to braid_analyst when it is not a member, and records the grant. Idempotent.
 */
export async function grantAnalystProject(pool: pg.Pool, role: string, projectId: string): Promise<GrantOutcome> {
  checkArguments(role, projectId);
  return inTransaction(pool, async (client) => {
    // Grants of one database run one at a time, so two of them never race to create the same role.
    await client.query(`SELECT pg_advisory_xact_lock(hashtext('braid:analyst-grants'))`);
    const project = await client.query('SELECT 1 FROM braid.projects WHERE project_id = $1', [projectId]);
    if (project.rowCount === 0) throw new AnalystGrantError(`unknown project ${projectId}`);
    const group = await client.query(`SELECT 1 FROM pg_roles WHERE rolname = 'braid_analyst'`);
    if (group.rowCount === 0) throw new AnalystGrantError('role braid_analyst does not exist: run `braid migrate` first');

    const existing = await client.query<{ rolsuper: boolean; rolbypassrls: boolean; member: boolean }>(
      `SELECT rolsuper, rolbypassrls, pg_has_role(oid, 'braid_analyst', 'MEMBER') AS member FROM pg_roles WHERE rolname = $1`,
      [role],
    );
    const current = existing.rows[0];
    const ident = client.escapeIdentifier(role);
    let roleCreated = false;
    let joinedAnalysts = false;
    if (!current) {
      await client.query(`CREATE ROLE ${ident} NOLOGIN IN ROLE braid_analyst`);
      roleCreated = true;
    } else if (current.rolsuper || current.rolbypassrls) {
      throw new AnalystGrantError(`role ${role} bypasses row-level security (superuser or BYPASSRLS): a project grant would restrict nothing`);
    } else if (!current.member) {
      await client.query(`GRANT braid_analyst TO ${ident}`);
      joinedAnalysts = true;
    }
    const inserted = await client.query(
      `INSERT INTO braid.analyst_grants (role_name, project_id, granted_by) VALUES ($1, $2, session_user)
       ON CONFLICT (role_name, project_id) DO NOTHING`,
      [role, projectId],
    );
    return { roleCreated, joinedAnalysts, alreadyGranted: inserted.rowCount === 0 };
  });
}

/** Takes `projectId` away from `role`; true when there was a grant. The role itself stays (it may have other grants). */
export async function revokeAnalystProject(pool: pg.Pool, role: string, projectId: string): Promise<boolean> {
  checkArguments(role, projectId);
  return inTransaction(pool, async (client) => {
    const res = await client.query('DELETE FROM braid.analyst_grants WHERE role_name = $1 AND project_id = $2', [role, projectId]);
    return (res.rowCount ?? 0) > 0;
  });
}

export async function listAnalystGrants(pool: pg.Pool, role?: string): Promise<AnalystGrant[]> {
  const res = await pool.query<{ role_name: string; project_id: string; granted_at: Date; granted_by: string | null }>(
    `SELECT role_name, project_id, granted_at, granted_by FROM braid.analyst_grants
     WHERE $1::text IS NULL OR role_name = $1 ORDER BY role_name, project_id`,
    [role ?? null],
  );
  return res.rows.map((r) => ({ roleName: r.role_name, projectId: r.project_id, grantedAt: r.granted_at, grantedBy: r.granted_by }));
}

async function withPool<T>(work: (pool: pg.Pool) => Promise<T>): Promise<T> {
  const { config } = commandContext('analyst');
  const pool = createPool(config.DATABASE_URL, 2);
  try {
    return await work(pool);
  } catch (error) {
    if (error instanceof AnalystGrantError) {
      console.error(`braid: ${error.message}`);
      process.exit(2);
    }
    throw error;
  } finally {
    await pool.end();
  }
}

export function registerAnalyst(program: Command): void {
  const analyst = program.command('analyst').description('analyst roles: which projects a Postgres role in braid_analyst may read (row-level security)');
  analyst
    .command('grant <role> <projectId>')
    .description('let <role> read <projectId> through the analytics views and functions (creates the role NOLOGIN in braid_analyst if missing)')
    .action((role: string, projectId: string) =>
      withPool(async (pool) => {
        const outcome = await grantAnalystProject(pool, role, projectId);
        if (outcome.roleCreated) console.log(`created role ${role} (NOLOGIN, member of braid_analyst); let a login role use it with: GRANT ${role} TO <login role>`);
        if (outcome.joinedAnalysts) console.log(`added role ${role} to braid_analyst`);
        console.log(outcome.alreadyGranted ? `role ${role} could already read project ${projectId}` : `granted project ${projectId} to role ${role}`);
      }),
    );
  analyst
    .command('revoke <role> <projectId>')
    .description('take <projectId> away from <role>')
    .action((role: string, projectId: string) =>
      withPool(async (pool) => {
        const revoked = await revokeAnalystProject(pool, role, projectId);
        console.log(revoked ? `revoked project ${projectId} from role ${role}` : `role ${role} had no grant on project ${projectId}`);
      }),
    );
  analyst
    .command('grants')
    .description('list the grants')
    .option('--role <role>', 'one role only')
    .option('--json', 'print JSON')
    .action((opts: { role?: string; json?: boolean }) =>
      withPool(async (pool) => {
        const grants = await listAnalystGrants(pool, opts.role);
        console.log(opts.json ? JSON.stringify(grants) : renderTable(grants as unknown as Record<string, unknown>[]));
      }),
    );
}
