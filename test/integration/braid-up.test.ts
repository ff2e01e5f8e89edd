import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { createPool } from '../../db/client';
import { waitForDrain } from '../../db/accounting';
import { RAW_STREAM } from '../../contracts/wire';
import { loadConfig, type Config } from '../../runtime/config';
import { repoRoot } from '../../runtime/paths';
import { connectNats } from '../../runtime/services/nats';
import { freePort } from '../../runtime/services/local-process';
import { track } from '../support/events';
import { exportedNames, metricNamesIn, opsFiles } from '../support/ops-names';
import { parseExposition, sumSamples } from '../../runtime/metrics';
import { databaseUrlNamed, dropDatabase } from '../support/test-env';

const run = promisify(execFile);
const unique = (prefix: string) => `${prefix}${randomBytes(5).toString('hex')}`;

/**
 * `braid up` as a user runs it: the real CLI, which prepares the services and
 * runs the worker, ingest and API as child processes. It gets a database,
 * state directory, port, task queue and ingest consumer of its own, and the
 * test run's Temporal, so it starts no dev server and sees only its project's traffic.
 */
describe('braid up', () => {
  const projectId = unique('up');
  const testEnv = inject('testEnv');
  const stateDir = mkdtempSync(join(tmpdir(), 'braid-up-'));
  const adminToken = unique('admin-token-');
  const durable = unique('up_ingest_');
  let env: NodeJS.ProcessEnv;
  let config: Config;
  let up: ChildProcess;
  let output = '';
  let exited: Promise<number | null>;
  let childPids: number[] = [];
  let pool: pg.Pool;
  const synthDurable = unique('up_demo_synth_ingest_');
  let synthIngest: ChildProcess | undefined;

  beforeAll(async () => {
    env = {
      ...process.env,
      ...testEnv,
      DATABASE_URL: databaseUrlNamed(testEnv.DATABASE_URL as string, `${new URL(testEnv.DATABASE_URL as string).pathname.slice(1)}_up`),
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      BRAID_WORKFLOW_BUNDLE: inject('workflowBundlePath'),
      BRAID_STATE_DIR: stateDir,
      BRAID_HTTP_PORT: String(await freePort()),
      BRAID_ADMIN_TOKEN: adminToken,
      BRAID_TASK_QUEUE: unique('tq-up-'),
      BRAID_INGEST_DURABLE: durable,
      BRAID_INGEST_FILTER: `braid.raw.${projectId}.>`,
    };
    config = loadConfig(env);
    up = spawn(process.execPath, [join(repoRoot, 'bin', 'braid.js'), 'up'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    exited = new Promise((resolve) => up.once('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('braid: up —')) resolve();
      };
      up.stdout?.on('data', onData);
      up.stderr?.on('data', onData);
      void exited.then((code) => reject(new Error(`braid up exited with ${code} before it was up:\n${output}`)));
    });
    pool = createPool(config.DATABASE_URL, 2);
  });

  afterAll(async () => {
    // Only when a test failed half-way: nothing of this run may outlive it.
    for (const pid of [up?.pid, ...childPids, synthIngest?.pid]) if (pid && isAlive(pid)) process.kill(pid, 'SIGKILL');
    await pool?.end();
    if (!config) return;
    const nc = await connectNats(config.NATS_URL, 'braid-test');
    for (const name of [durable, synthDurable]) await nc.jetstreamManager().then((jsm) => jsm.consumers.delete(RAW_STREAM, name)).catch(() => undefined);
    await nc.close();
    await dropDatabase(config.DATABASE_URL);
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('runs the worker, ingest and API as child processes that together carry an event from the collector to Postgres', async () => {
    const children = braidChildren(up.pid as number);
    childPids = children.map((c) => c.pid);
    expect(children.map((c) => c.role).sort()).toEqual(['api', 'ingest', 'worker']);

    const api = `http://127.0.0.1:${config.BRAID_HTTP_PORT}`;
    const ready = await fetch(`${api}/readyz`);
    expect(ready.status).toBe(200);

    const made = await fetch(`${api}/api/projects`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ projectId, name: 'braid up test' }),
    });
    expect(made.status).toBe(201);
    const { writeKeys } = (await made.json()) as { writeKeys: Record<string, string> };
    const sent = await fetch(`${api}/v1/track`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${writeKeys.web}:`).toString('base64')}`, 'content-type': 'application/json' },
      body: JSON.stringify(track()),
    });
    expect(sent.status).toBe(200);
    const accounting = await waitForDrain(pool, projectId, 1, 60_000);
    expect(accounting).toMatchObject({ accepted: 1, canonical: 1, inFlight: 0 });
    // Secrets used in this run never reach the logs of any process.
    expect(output).not.toContain(adminToken);
    expect(output).not.toContain(writeKeys.web);
  });

  it('keeps the lake in its state directory: the event just written shows up in `braid lake query`', async () => {
    const lake = join(stateDir, 'lake');
    const query = `SELECT count(*)::INTEGER AS n FROM events WHERE project_id = '${projectId}'`;
    const lakeCount = async () => {
      const res = await run(process.execPath, [join(repoRoot, 'bin', 'braid.js'), 'lake', 'query', '--lake', lake, '--json', query], { env, cwd: repoRoot });
      return (JSON.parse(res.stdout.trim()) as { n: number }).n;
    };
    const deadline = Date.now() + 60_000;
    let n = await lakeCount();
    while (n < 1 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 1_000));
      n = await lakeCount();
    }
    expect(n).toBe(1);
  });

  it("serves one /metrics with every process's series, and every metric the dashboard, alert rules and runbooks name", async () => {
    const exposition = await (await fetch(`http://127.0.0.1:${config.BRAID_HTTP_PORT}/metrics`)).text();
    const processes = new Set(parseExposition(exposition).flatMap((s) => (s.labels.process ? [s.labels.process] : [])));
    expect([...processes].sort()).toEqual(['api', 'ingest', 'up', 'worker']);
    // The event of the test before went through each process's counters.
    expect(sumSamples(exposition, 'braid_ingest_messages_total', { project: projectId, outcome: 'accepted', process: 'ingest' })).toBe(1);
    expect(sumSamples(exposition, 'braid_worker_events_total', { project: projectId, outcome: 'written', process: 'worker' })).toBe(1);
    expect(sumSamples(exposition, 'braid_stage_latency_seconds_count', { stage: 'publish_to_queryable' })).toBe(1);
    expect(sumSamples(exposition, 'braid_temporal_workflow_task_queue_poll_succeed')).toBeGreaterThan(0);

    const exported = exportedNames(exposition);
    const missing = opsFiles().flatMap((file) => metricNamesIn(file).filter((name) => !exported.has(name)).map((name) => `${file}: ${name}`));
    expect(missing).toEqual([]);
  });

  it('braid demo: prints the story, then sums up synthetic traffic checked against the expectation of its seed', async () => {
    // The synthetic part needs a project of its own, outside this braid's ingest filter: an ingest of its own brings it to braid up's worker.
    const synthProject = unique('upsynth');
    const ingestEnv = { ...env, BRAID_INGEST_DURABLE: synthDurable, BRAID_INGEST_FILTER: `braid.raw.${synthProject}.>` };
    synthIngest = spawn(process.execPath, [join(repoRoot, 'bin', 'braid.js'), 'ingest'], { env: ingestEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    await new Promise<void>((resolve, reject) => {
      let log = '';
      synthIngest?.stderr?.on('data', (chunk: Buffer) => {
        log += chunk.toString();
        if (log.includes('ingest running')) resolve();
      });
      synthIngest?.once('exit', (code) => reject(new Error(`the demo's ingest exited with ${code}:\n${log}`)));
    });

    let demo: { stdout: string };
    try {
      demo = await run(process.execPath, [join(repoRoot, 'bin', 'braid.js'), 'demo', '-p', projectId, '--synth-project', synthProject], { env, cwd: repoRoot, timeout: 170_000 });
    } finally {
      if (synthIngest.exitCode === null && synthIngest.signalCode === null) {
        const stopped = new Promise((resolve) => synthIngest?.once('exit', resolve));
        synthIngest.kill('SIGTERM');
        await stopped;
      }
    }
    expect(demo.stdout).toContain(`analytics.accounting for project "${projectId}"`);
    const summary = new RegExp(
      `Published 300 events of seed (\\d+) from web, mobile and backend via NATS to project ${synthProject} in [\\d.]+ s; accounted for [\\d.]+ s later: ` +
        `accepted 300, canonical \\d+, rejected \\d+, suppressed \\d+, duplicates \\d+; persons \\d+, sessions \\d+\\. ` +
        `Project ${synthProject} matches the expectation of seed \\1\\.`,
    );
    expect(demo.stdout).toMatch(summary);
  }, 180_000);

  it('stops every process on SIGINT and exits 0', async () => {
    expect(childPids).toHaveLength(3);
    up.kill('SIGINT');
    const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('still running after 20 s'), 20_000))]);
    expect(code, output).toBe(0);
    expect([up.pid, ...childPids].filter((pid) => isAlive(pid as number))).toEqual([]);
  });
});

/** The braid commands that run as direct children of `pid` (tsx's esbuild service may run beside them). */
function braidChildren(pid: number): { pid: number; role: string }[] {
  const lines = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(pid)], { encoding: 'utf8' }).trim().split('\n');
  return lines.flatMap((line) => {
    const match = /^\s*(\d+)\s+.*bin\/braid\.js (\S+)$/.exec(line);
    return match ? [{ pid: Number(match[1]), role: match[2] as string }] : [];
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

describe('production processes without TEMPORAL_ADDRESS', () => {
  it.each(['worker', 'ingest', 'api'])('braid %s refuses to start, names the variable and the way out', (role) => {
    const { TEMPORAL_ADDRESS: _unset, ...env } = process.env;
    let failure: { status: number | null; stderr: string } | null = null;
    try {
      execFileSync(process.execPath, [join(repoRoot, 'bin', 'braid.js'), role], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
    } catch (error) {
      const e = error as { status: number | null; stderr: string };
      failure = { status: e.status, stderr: e.stderr };
    }
    expect(failure?.status).toBe(1);
    expect(failure?.stderr).toContain('TEMPORAL_ADDRESS: not set');
    expect(failure?.stderr).toContain('--dev-server');
    expect(failure?.stderr).not.toContain('    at '); // a message, not a stack trace
  });
});
