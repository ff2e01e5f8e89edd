import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createDatabaseIfMissing } from '../../db/database';
import type { Logger } from '../logger';
import { findExecutable, isListening, isLocalHost, waitFor } from './local-process';

/**
 * Makes DATABASE_URL usable: starts the local Postgres cluster if it is down
 * (Debian's pg_ctlcluster, as on these machines), then creates the database
 * if it is missing. A remote server that is down is an error, not our job.
 * Says whether it started the cluster.
 */
export async function ensurePostgres(databaseUrl: string, log: Logger): Promise<boolean> {
  const url = new URL(databaseUrl);
  const host = url.hostname || '127.0.0.1';
  const port = Number(url.port || 5432);
  let started = false;
  if (!(await isListening(host, port))) {
    if (!isLocalHost(host)) throw new Error(`Postgres at ${host}:${port} is not reachable (DATABASE_URL)`);
    startLocalPostgres(log);
    started = true;
    await waitFor(`Postgres on ${host}:${port}`, () => isListening(host, port), 30_000);
  }
  const { database, created } = await createDatabaseIfMissing(url);
  if (created) log.info({ database }, 'created database');
  return started;
}

function startLocalPostgres(log: Logger): void {
  const ctl = findExecutable(['pg_ctlcluster']);
  let versions: string[] = [];
  try {
    versions = readdirSync('/etc/postgresql');
  } catch {
    /* no Debian cluster layout */
  }
  if (!ctl || versions.length === 0) {
    throw new Error('Postgres is not running and no local cluster was found to start; set DATABASE_URL to a running server');
  }
  const version = versions.sort().at(-1) as string;
  log.info({ version }, 'starting the local Postgres cluster');
  execFileSync(ctl, ['--skip-systemctl-redirect', version, 'main', 'start'], { stdio: 'inherit' });
}
