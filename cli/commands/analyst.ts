import type { Command } from 'commander';
import type pg from 'pg';
import { AnalystGrantError, grantAnalystProject, listAnalystGrants, revokeAnalystProject } from '../../db/analyst-access';
import { createPool } from '../../db/client';
import { commandContext } from '../process';
import { renderTable } from '../table';

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

/** `braid analyst grant|revoke|grants`: talks to Postgres directly (DATABASE_URL, as the database owner); db/analyst-access.ts does the work. */
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
