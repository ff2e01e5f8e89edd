import { and, asc, eq, sql } from 'drizzle-orm';
import { boolean, pgSchema, text } from 'drizzle-orm/pg-core';
import type pg from 'pg';
import { PROJECT_ID_PATTERN } from '../contracts/envelope';
import { analystRoleProblem } from '../rules/analyst-role';
import { createDb } from './client';
import { postgresErrorCode } from './postgres-errors';
import { analystGrants, projects } from './schema';

/**
 * Which projects a Postgres role in braid_analyst may read (`braid analyst
 * grant|revoke|grants`). An admin task, run as the database owner.
 * Row-level security on braid's tables (migration `analyst_functions`) does
 * the enforcing; this keeps braid.analyst_grants and the role's membership.
 */

/** The catalog's roles, as far as granting needs them. */
const pgRoles = pgSchema('pg_catalog')
  .view('pg_roles', { rolname: text().notNull(), rolsuper: boolean().notNull(), rolbypassrls: boolean().notNull() })
  .existing();

const ANALYST_GROUP = 'braid_analyst';

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

/** A missing braid.analyst_grants (migrations not run) as an AnalystGrantError that says what to do. */
async function explained<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (postgresErrorCode(error) === '42P01') throw new AnalystGrantError('braid.analyst_grants does not exist: run `braid migrate` first');
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
  return explained(() =>
    createDb(pool).transaction(async (tx) => {
      // Grants of one database run one at a time, so two of them never race to create the same role.
      await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext('braid:analyst-grants'))`);
      const [project] = await tx.select({ projectId: projects.projectId }).from(projects).where(eq(projects.projectId, projectId));
      if (!project) throw new AnalystGrantError(`unknown project ${projectId}`);
      const [group] = await tx.select({ rolname: pgRoles.rolname }).from(pgRoles).where(eq(pgRoles.rolname, ANALYST_GROUP));
      if (!group) throw new AnalystGrantError(`role ${ANALYST_GROUP} does not exist: run \`braid migrate\` first`);

      const [current] = await tx
        .select({
          rolsuper: pgRoles.rolsuper,
          rolbypassrls: pgRoles.rolbypassrls,
          member: sql<boolean>`pg_has_role(${pgRoles.rolname}, 'braid_analyst', 'MEMBER')`,
        })
        .from(pgRoles)
        .where(eq(pgRoles.rolname, role));
      let roleCreated = false;
      let joinedAnalysts = false;
      if (!current) {
        await tx.execute(sql`CREATE ROLE ${sql.identifier(role)} NOLOGIN IN ROLE ${sql.identifier(ANALYST_GROUP)}`);
        roleCreated = true;
      } else if (current.rolsuper || current.rolbypassrls) {
        throw new AnalystGrantError(`role ${role} bypasses row-level security (superuser or BYPASSRLS): a project grant would restrict nothing`);
      } else if (!current.member) {
        await tx.execute(sql`GRANT ${sql.identifier(ANALYST_GROUP)} TO ${sql.identifier(role)}`);
        joinedAnalysts = true;
      }
      const inserted = await tx
        .insert(analystGrants)
        .values({ roleName: role, projectId, grantedBy: sql`session_user` })
        .onConflictDoNothing({ target: [analystGrants.roleName, analystGrants.projectId] })
        .returning({ roleName: analystGrants.roleName });
      return { roleCreated, joinedAnalysts, alreadyGranted: inserted.length === 0 };
    }),
  );
}

/** Takes `projectId` away from `role`; true when there was a grant. The role itself stays (it may have other grants). */
export async function revokeAnalystProject(pool: pg.Pool, role: string, projectId: string): Promise<boolean> {
  checkArguments(role, projectId);
  const revoked = await explained(() =>
    createDb(pool)
      .delete(analystGrants)
      .where(and(eq(analystGrants.roleName, role), eq(analystGrants.projectId, projectId)))
      .returning({ roleName: analystGrants.roleName }),
  );
  return revoked.length > 0;
}

/** The grants, of one role or all, by role and project. */
export async function listAnalystGrants(pool: pg.Pool, role?: string): Promise<AnalystGrant[]> {
  return createDb(pool)
    .select({ roleName: analystGrants.roleName, projectId: analystGrants.projectId, grantedAt: analystGrants.grantedAt, grantedBy: analystGrants.grantedBy })
    .from(analystGrants)
    .where(role === undefined ? undefined : eq(analystGrants.roleName, role))
    .orderBy(asc(analystGrants.roleName), asc(analystGrants.projectId));
}

/**
 * The projects a Postgres role may read through the analytics views: those
 * granted to it or to a role it is a member of, as row-level security has it
 * (migration `analyst_functions`). None for a role that does not exist.
 */
export async function projectsReadableBy(pool: pg.Pool, role: string): Promise<string[]> {
  const oidOf = (name: unknown) => sql`(SELECT r.oid FROM pg_catalog.pg_roles r WHERE r.rolname = ${name})`;
  const rows = await createDb(pool)
    .selectDistinct({ projectId: analystGrants.projectId })
    .from(analystGrants)
    .where(sql`pg_catalog.pg_has_role(${oidOf(role)}, ${oidOf(analystGrants.roleName)}, 'MEMBER')`)
    .orderBy(asc(analystGrants.projectId));
  return rows.map((r) => r.projectId);
}
