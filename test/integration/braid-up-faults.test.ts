import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { createPool } from '../../db/client';
import { getAccounting, waitForDrain } from '../../db/accounting';
import { RAW_STREAM, rawSubject } from '../../contracts/wire';
import { loadConfig, type Config } from '../../runtime/config';
import { sumSamples } from '../../runtime/metrics';
import { repoRoot } from '../../runtime/paths';
import { connectNats } from '../../runtime/services/nats';
import { freePort } from '../../runtime/services/local-process';
import { track } from '../support/events';
import { databaseUrlNamed, dropDatabase } from '../support/test-env';

const unique = (prefix: string) => `${prefix}${randomBytes(5).toString('hex')}`;
const CLI = join(repoRoot, 'bin', 'braid.js');

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Every process below `pid` (children, their children…), as pid and command line. */
function descendants(pid: number): { pid: number; args: string }[] {
  const out = execFileSync('ps', ['-e', '-o', 'pid=,ppid=,args='], { encoding: 'utf8' });
  const rows = out.trim().split('\n').map((l) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(l)).filter((m): m is RegExpExecArray => m !== null);
  const found: { pid: number; args: string }[] = [];
  const walk = (parent: number) => {
    for (const m of rows) if (Number(m[2]) === parent) {
      found.push({ pid: Number(m[1]), args: m[3] as string });
      walk(Number(m[1]));
    }
  };
  walk(pid);
  return found;
}

async function within<T>(ms: number, what: string, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`not within ${ms / 1000} s: ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * `braid up` as an operator meets it on a bad day: it starts its own Temporal
 * dev server, which is killed with kill -9 (braid up starts it again and events
 * flow), then the whole process group gets Ctrl-C while events are in flight
 * (everything stops within 20 s, and the next start delivers all of them).
 */
describe('braid up keeps what it started running, and stops on Ctrl-C to its group', () => {
  const projectId = unique('upf');
  const testEnv = inject('testEnv');
  const stateDir = mkdtempSync(join(tmpdir(), 'braid-upf-'));
  const durable = unique('upf_ingest_');
  let env: NodeJS.ProcessEnv;
  let config: Config;
  let up: ChildProcess | null = null;
  let output = '';
  let pool: pg.Pool;
  let key: string;
  const everyPid = new Set<number>();

  const start = async () => {
    output = '';
    // detached: braid up leads a process group of its own, as a shell's foreground job does.
    const child = spawn(process.execPath, [CLI, 'up'], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    up = child;
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('braid: up —')) resolve();
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      void exited.then((code) => reject(new Error(`braid up exited with ${code} before it was up:\n${output}`)));
    });
    for (const d of descendants(child.pid as number)) everyPid.add(d.pid);
    everyPid.add(child.pid as number);
    return { child, exited };
  };
  const api = () => `http://127.0.0.1:${config.BRAID_HTTP_PORT}`;
  const send = (n = 1) =>
    fetch(`${api()}/v1/batch`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ batch: Array.from({ length: n }, () => track()) }),
    });

  beforeAll(async () => {
    const { TEMPORAL_ADDRESS: _useOwnDevServer, ...rest } = process.env;
    env = {
      ...rest,
      ...testEnv,
      DATABASE_URL: databaseUrlNamed(testEnv.DATABASE_URL as string, `${new URL(testEnv.DATABASE_URL as string).pathname.slice(1)}_upf`),
      BRAID_WORKFLOW_BUNDLE: inject('workflowBundlePath'),
      BRAID_STATE_DIR: stateDir,
      BRAID_HTTP_PORT: String(await freePort()),
      BRAID_TEMPORAL_DEV_PORT: String(await freePort()),
      BRAID_TEMPORAL_UI_PORT: '0',
      BRAID_ADMIN_TOKEN: unique('admin-token-'),
      BRAID_TASK_QUEUE: unique('tq-upf-'),
      BRAID_INGEST_DURABLE: durable,
      BRAID_INGEST_FILTER: `braid.raw.${projectId}.>`,
    };
    delete env.TEMPORAL_ADDRESS;
    config = loadConfig(env);
    await start();
    pool = createPool(config.DATABASE_URL, 2);
    const made = await fetch(`${api()}/api/projects`, {
      method: 'POST',
      headers: { authorization: `Bearer ${env.BRAID_ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ projectId, name: 'braid up faults' }),
    });
    key = ((await made.json()) as { writeKeys: Record<string, string> }).writeKeys.web as string;
    expect((await send()).status).toBe(200);
    await waitForDrain(pool, projectId, 1, 60_000);
  }, 240_000);

  afterAll(async () => {
    for (const pid of everyPid) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    for (const d of up?.pid ? descendants(up.pid) : []) if (isAlive(d.pid)) process.kill(d.pid, 'SIGKILL');
    await pool?.end();
    const nc = await connectNats(config.NATS_URL, 'braid-test');
    await nc.jetstreamManager().then((jsm) => jsm.consumers.delete(RAW_STREAM, durable)).catch(() => undefined);
    await nc.close();
    await dropDatabase(config.DATABASE_URL);
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('starts its Temporal dev server again after kill -9, within 30 s, and events flow again', async () => {
    const devServer = descendants(up!.pid as number).find((d) => d.args.includes('start-dev'));
    expect(devServer, output).toBeDefined();
    process.kill(devServer!.pid, 'SIGKILL');
    await within(30_000, 'the dev server running again', () => output.includes('is running again') || undefined);
    const again = descendants(up!.pid as number).find((d) => d.args.includes('start-dev'));
    expect(again?.pid).not.toBe(devServer!.pid);
    everyPid.add(again!.pid);

    expect((await send(5)).status).toBe(200);
    expect(await waitForDrain(pool, projectId, 6, 90_000)).toMatchObject({ accepted: 6, canonical: 6, inFlight: 0 });
    const metrics = await (await fetch(`${api()}/metrics`)).text();
    expect(sumSamples(metrics, 'braid_up_service_restarts_total', { service: 'the Temporal dev server' })).toBe(1);
  }, 150_000);

  it('stops every process within 20 s on SIGINT to its process group; the next start delivers everything accepted', async () => {
    const before = new Set([...everyPid, ...descendants(up!.pid as number).map((d) => d.pid)]);
    const exited = new Promise<number | null>((resolve) => up!.once('exit', (code) => resolve(code)));
    // Events in flight: published to NATS the moment before Ctrl-C.
    const nc = await connectNats(config.NATS_URL, 'braid-test-publisher');
    const js = nc.jetstream();
    const N = 400;
    await Promise.all(Array.from({ length: N }, () => js.publish(rawSubject(projectId, 'web'), JSON.stringify(track()))));
    await nc.close();
    const t0 = Date.now();
    process.kill(-(up!.pid as number), 'SIGINT');
    const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('still running after 20 s'), 20_000))]);
    expect(code, output).toBe(0);
    await within(20_000 - (Date.now() - t0), 'every process gone', () => [...before].every((pid) => !isAlive(pid)) || undefined);

    await start();
    const accounting = await waitForDrain(pool, projectId, 6 + N, 120_000);
    expect(accounting).toMatchObject({ accepted: 6 + N, canonical: 6 + N, duplicates: 0, inFlight: 0 });
    const rows = await getAccounting(pool, projectId);
    expect(rows[0]?.canonical).toBe(6 + N);
    // And a plain SIGTERM to braid up alone stops it as well.
    const stopped = new Promise<number | null>((resolve) => up!.once('exit', (c) => resolve(c)));
    up!.kill('SIGTERM');
    expect(await stopped).toBe(0);
  }, 240_000);
});

/** `braid worker`, `braid ingest` and `braid api` alone: SIGTERM drains and exits 0 within the grace period. */
describe('single-role processes stop on SIGTERM', () => {
  it.each(['worker', 'ingest', 'api'])('braid %s exits 0 within 20 s of SIGTERM', async (role) => {
    const testEnv = inject('testEnv');
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...testEnv,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      BRAID_WORKFLOW_BUNDLE: inject('workflowBundlePath'),
      BRAID_HTTP_PORT: String(await freePort()),
      BRAID_TASK_QUEUE: unique('tq-role-'),
      BRAID_INGEST_DURABLE: unique('role_ingest_'),
      BRAID_INGEST_FILTER: `braid.raw.${unique('nobody')}.>`,
      BRAID_ADMIN_TOKEN: unique('admin-token-'),
      BRAID_STATE_DIR: mkdtempSync(join(tmpdir(), 'braid-role-')),
    };
    const child = spawn(process.execPath, [CLI, role], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    // 'close': the exit code once its output is read to the end (so a failure shows all of it).
    const exited = new Promise<number | string | null>((resolve) => child.once('close', (code, signal) => resolve(code ?? signal)));
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes(`braid: ${role} running`)) resolve();
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      void exited.then((code) => reject(new Error(`braid ${role} exited with ${code} before it ran:\n${output}`)));
    });
    child.kill('SIGTERM');
    const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('still running after 20 s'), 20_000))]);
    expect(code, output).toBe(0);
    const nc = await connectNats(loadConfig(env).NATS_URL, 'braid-test');
    await nc.jetstreamManager().then((jsm) => jsm.consumers.delete(RAW_STREAM, env.BRAID_INGEST_DURABLE as string)).catch(() => undefined);
    await nc.close();
    rmSync(env.BRAID_STATE_DIR as string, { recursive: true, force: true });
  }, 120_000);
});
