import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import pg from 'pg';
import type { Logger } from '../logger';
import { findExecutable, isListening, isLocalHost, waitFor } from './local-process';

/**
 * Makes DATABASE_URL usable: starts the local Postgres cluster if it is down
 * (Debian's pg_ctlcluster, as on these machines), then creates the database
 * if it is missing. A remote server that is down is an error, not our job.
 */
export async function ensurePostgres(databaseUrl: string, log: Logger): Promise<void> {
  const url = new URL(databaseUrl);
  const host = url.hostname || '127.0.0.1';
  const port = Number(url.port || 5432);
  if (!(await isListening(host, port))) {
    if (!isLocalHost(host)) throw new Error(`Postgres at ${host}:${port} is not reachable (DATABASE_URL)`);
    startLocalPostgres(log);
    await waitFor(`Postgres on ${host}:${port}`, () => isListening(host, port), 30_000);
  }
  await createDatabaseIfMissing(url, log);
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

async function createDatabaseIfMissing(url: URL, log: Logger): Promise<void> {
  const database = decodeURIComponent(url.pathname.replace(/^\//, '')) || 'postgres';
  const probe = new pg.Client({ connectionString: url.toString() });
  try {
    await probe.connect();
    return;
  } catch (error) {
    if ((error as { code?: string }).code !== '3D000') throw error;
  } finally {
    await probe.end().catch(() => undefined);
  }
  const adminUrl = new URL(url.toString());
  adminUrl.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: adminUrl.toString() });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`);
    log.info({ database }, 'created database');
  } catch (error) {
    if ((error as { code?: string }).code !== '42P04') throw error; // created concurrently
  } finally {
    await admin.end();
  }
}

/** Drops the database a URL names, whoever is still connected to it (the benchmark's scratch database). */
export async function dropDatabase(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
  url.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: url.toString() });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${name.replace(/"/g, '""')}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}
