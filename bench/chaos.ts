/**
 * `npm run chaos`: braid under faults, one at a time, while traffic flows.
 *
 * The harness runs its own nats-server (file store) and its own Postgres
 * cluster (initdb/pg_ctl in a scratch directory), and `braid up` on them with
 * its own Temporal dev server. Steady load arrives through the HTTP collector
 * and the SDK. Each fault: kill -9 of the API, ingest and worker processes
 * (braid up restarts them), of nats-server and Postgres (the harness restarts
 * them on their stores, as their service managers would), of the Temporal dev
 * server (braid up restarts it), and a freeze of every Postgres process
 * (SIGSTOP for CHAOS_FREEZE_SECONDS). After each fault the load pauses until
 * braid has drained, then: accepted = canonical + rejected + suppressed +
 * duplicates, every acknowledged event is canonical exactly once, the
 * ingest backlog is zero, and no workflow on braid's task queue has a failed
 * workflow task in its history. Prints a table and one JSON line; exits 1 when any
 * fault lost or doubled an event. Not part of `npm test`.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, chownSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { createPool } from '../db/client';
import { RAW_STREAM } from '../contracts/wire';
import { repoRoot } from '../runtime/paths';
import { connectNats } from '../runtime/services/nats';
import { freePort, isListening } from '../runtime/services/local-process';
import { createClient } from '../sdk';

const FREEZE_SECONDS = Number(process.env.CHAOS_FREEZE_SECONDS ?? 60);
const FAULT_SECONDS = Number(process.env.CHAOS_FAULT_SECONDS ?? 10);
const RATE = Number(process.env.CHAOS_RATE ?? 150);
const ALL_FAULTS = ['api', 'ingest', 'worker', 'nats', 'postgres', 'temporal', 'postgres-freeze'] as const;
type Fault = (typeof ALL_FAULTS)[number];
const FAULTS = (process.env.CHAOS_FAULTS?.split(',').map((f) => f.trim()) ?? [...ALL_FAULTS]) as Fault[];
for (const f of FAULTS) if (!ALL_FAULTS.includes(f)) throw new Error(`CHAOS_FAULTS: "${f}" is not one of ${ALL_FAULTS.join(', ')}`);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (message: string) => console.error(`chaos: ${message}`);

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined | false>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs / 1000} s: ${what}`);
    await sleep(500);
  }
}

/** A Postgres cluster of the harness's own, run as the postgres user (initdb refuses root). */
class ScratchPostgres {
  readonly dir = mkdtempSync(join(tmpdir(), 'braid-chaos-pg-'));
  port = 0;
  private readonly bin = (() => {
    const versions = existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql').sort() : [];
    const dir = versions.length > 0 ? `/usr/lib/postgresql/${versions.at(-1)}/bin` : null;
    if (!dir || !existsSync(join(dir, 'initdb'))) throw new Error('initdb not found under /usr/lib/postgresql/*/bin');
    return dir;
  })();

  private run(args: string[]): void {
    const asPostgres = process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', ...args]] : [args[0]!, args.slice(1)];
    execFileSync(asPostgres[0] as string, asPostgres[1] as string[], { stdio: 'ignore' });
  }

  async init(): Promise<void> {
    this.port = await freePort();
    if (process.getuid?.() === 0) chownSync(this.dir, Number(execFileSync('id', ['-u', 'postgres']).toString()), Number(execFileSync('id', ['-g', 'postgres']).toString()));
    this.run([join(this.bin, 'initdb'), '-D', join(this.dir, 'data'), '-U', 'postgres', '-A', 'trust', '--no-sync']);
    await this.start();
  }

  async start(): Promise<void> {
    this.run([join(this.bin, 'pg_ctl'), '-D', join(this.dir, 'data'), '-l', join(this.dir, 'log'), '-w', '-o', `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c max_connections=200`, 'start']);
    await until('Postgres listening', 30_000, () => isListening('127.0.0.1', this.port));
  }

  pids(): number[] {
    const postmaster = Number(readFileSync(join(this.dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
    let children: number[] = [];
    try {
      children = execFileSync('ps', ['-o', 'pid=', '--ppid', String(postmaster)], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map(Number);
    } catch {
      /* no children (ps exits 1 when it lists nothing) */
    }
    return [postmaster, ...children];
  }

  url(database: string): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  stop(): void {
    try {
      this.run([join(this.bin, 'pg_ctl'), '-D', join(this.dir, 'data'), '-m', 'immediate', 'stop']);
    } catch {
      /* already down */
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A nats-server of the harness's own with a file store that survives its restarts. */
class ScratchNats {
  readonly store = mkdtempSync(join(tmpdir(), 'braid-chaos-nats-'));
  port = 0;
  child: ChildProcess | null = null;

  async start(): Promise<void> {
    if (this.port === 0) this.port = await freePort();
    this.child = spawn('nats-server', ['-js', '-a', '127.0.0.1', '-p', String(this.port), '-sd', this.store], { stdio: 'ignore', detached: true });
    await until('nats-server listening', 15_000, () => isListening('127.0.0.1', this.port));
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.store, { recursive: true, force: true });
  }
}

/** Steady traffic: batches through the collector and tracks through the SDK; remembers every acknowledged messageId. */
class Load {
  readonly acked = new Set<string>();
  published = 0;
  private running = false;
  private loops: Promise<void>[] = [];
  private readonly sdk;

  constructor(
    private readonly api: string,
    private readonly key: string,
    natsUrl: string,
    projectId: string,
  ) {
    this.sdk = createClient({ servers: natsUrl, projectId, channel: 'backend', maxQueueSize: 100_000, retry: { maxAttempts: 1_000 } });
  }

  start(): void {
    this.running = true;
    const perTick = Math.max(1, Math.round(RATE / 10 / 3));
    this.loops = [this.collectorLoop(perTick * 2), this.sdkLoop(perTick)];
  }

  async pause(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
    await this.sdk.flush();
  }

  private async collectorLoop(perTick: number): Promise<void> {
    let pending: { messageId: string; type: string; event: string; anonymousId: string; properties: object }[] = [];
    while (this.running || pending.length > 0) {
      if (pending.length === 0) {
        pending = Array.from({ length: perTick }, (_, i) => ({ messageId: randomUUID(), type: 'track', event: 'Chaos Clicked', anonymousId: `web-${i % 50}`, properties: { i } }));
        this.published += pending.length;
      }
      try {
        const res = await fetch(`${this.api}/v1/batch`, {
          method: 'POST',
          headers: { authorization: `Basic ${Buffer.from(`${this.key}:`).toString('base64')}`, 'content-type': 'application/json' },
          body: JSON.stringify({ batch: pending }),
          signal: AbortSignal.timeout(10_000),
        });
        if (res.status === 200) {
          for (const e of pending) this.acked.add(e.messageId);
          pending = [];
        }
        // Anything else (503 during an outage, 429 when behind): the same batch again, as Segment's libraries do.
      } catch {
        /* the API is restarting: try again */
      }
      await sleep(100);
    }
  }

  private async sdkLoop(perTick: number): Promise<void> {
    while (this.running) {
      for (let i = 0; i < perTick; i++) {
        this.published += 1;
        this.sdk
          .track({ userId: `user-${i % 40}`, event: 'Chaos Paid', properties: { amount: i } })
          .then((delivery) => this.acked.add(delivery.messageId))
          .catch(() => undefined);
      }
      await sleep(100);
    }
  }

  async close(): Promise<void> {
    await this.sdk.close({ timeoutMs: 30_000 });
  }
}

interface Row {
  fault: Fault;
  /** Workflow tasks that failed (in the histories of every workflow on braid's task queue), so far. */
  failedWorkflowTasks: number;
  /** Workflow runs whose histories were read for that (so a 0 above is not a 0 of nothing). */
  workflowRunsChecked: number;
  publishedDuringFault: number;
  acked: number;
  lost: number;
  doubled: number;
  accountingExact: boolean;
  recoverSeconds: number;
}

async function main(): Promise<void> {
  const projectId = `chaos${randomBytes(4).toString('hex')}`;
  const adminToken = `admin-${randomBytes(12).toString('hex')}`;
  const postgres = new ScratchPostgres();
  const nats = new ScratchNats();
  const stateDir = mkdtempSync(join(tmpdir(), 'braid-chaos-state-'));
  mkdirSync(stateDir, { recursive: true });
  let up: ChildProcess | null = null;
  const rows: Row[] = [];
  try {
    log('starting a scratch Postgres cluster and nats-server');
    await postgres.init();
    await nats.start();
    const httpPort = await freePort();
    const env = {
      ...process.env,
      DATABASE_URL: postgres.url('braid_chaos'),
      NATS_URL: nats.url,
      BRAID_STATE_DIR: stateDir,
      BRAID_HTTP_PORT: String(httpPort),
      BRAID_TEMPORAL_DEV_PORT: String(await freePort()),
      BRAID_TEMPORAL_UI_PORT: '0',
      BRAID_ADMIN_TOKEN: adminToken,
      BRAID_LOG_LEVEL: process.env.BRAID_LOG_LEVEL ?? 'warn',
      // Outages here last seconds to a minute: the collector keeps accepting while the backlog grows.
      BRAID_COLLECTOR_MAX_LAG: '0',
    };
    delete (env as NodeJS.ProcessEnv).TEMPORAL_ADDRESS;
    log('starting braid up on them');
    const upProcess = spawn(process.execPath, [join(repoRoot, 'bin', 'braid.js'), 'up'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    up = upProcess;
    let output = '';
    upProcess.stdout?.on('data', (c: Buffer) => (output += c.toString()));
    upProcess.stderr?.on('data', (c: Buffer) => {
      output += c.toString();
      if (process.env.CHAOS_VERBOSE) process.stderr.write(c);
    });
    await until('braid up', 180_000, async () => (upProcess.exitCode !== null ? Promise.reject(new Error(`braid up exited:\n${output}`)) : output.includes('braid: up —')));
    const api = `http://127.0.0.1:${httpPort}`;
    const made = await fetch(`${api}/api/projects`, { method: 'POST', headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ projectId, name: 'chaos' }) });
    const key = ((await made.json()) as { writeKeys: Record<string, string> }).writeKeys.web as string;
    const pool = createPool(postgres.url('braid_chaos'), 2);
    const temporal = new Client({ connection: await Connection.connect({ address: `127.0.0.1:${env.BRAID_TEMPORAL_DEV_PORT}` }), namespace: 'default' });
    /** Failed workflow tasks across every workflow braid runs (host workflows and operations). */
    const failedWorkflowTasks = async (): Promise<{ failed: number; checked: number }> => {
      let failed = 0;
      let checked = 0;
      for await (const wf of temporal.workflow.list({ query: 'TaskQueue = "braid-sessions"' })) {
        const history = await temporal.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
        failed += (history.events ?? []).filter((e) => e.workflowTaskFailedEventAttributes).length;
        checked += 1;
      }
      return { failed, checked };
    };
    const load = new Load(api, key, nats.url, projectId);

    const child = (role: string) => {
      const lines = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(upProcess.pid)], { encoding: 'utf8' }).trim().split('\n');
      const hit = lines.map((l) => /^\s*(\d+)\s+(.*)$/.exec(l)).find((m) => m && (role === 'temporal' ? m[2]!.includes('start-dev') : m[2]!.endsWith(`bin/braid.js ${role}`)));
      if (!hit) throw new Error(`no ${role} process under braid up`);
      return Number(hit[1]);
    };
    const inject = async (fault: Fault): Promise<void> => {
      switch (fault) {
        case 'api':
        case 'ingest':
        case 'worker':
        case 'temporal':
          process.kill(child(fault), 'SIGKILL');
          return;
        case 'nats':
          await nats.kill();
          await sleep(3_000);
          await nats.start();
          return;
        case 'postgres':
          // The postmaster and every backend at once, as a host crash would.
          for (const pid of postgres.pids()) process.kill(pid, 'SIGKILL');
          await sleep(3_000);
          rmSync(join(postgres.dir, 'data', 'postmaster.pid'), { force: true });
          await postgres.start();
          return;
        case 'postgres-freeze': {
          const pids = postgres.pids();
          for (const pid of pids) process.kill(pid, 'SIGSTOP');
          await sleep(FREEZE_SECONDS * 1000);
          for (const pid of pids) process.kill(pid, 'SIGCONT');
          return;
        }
      }
    };

    const settled = async () => {
      const jsnc = await connectNats(nats.url, 'chaos-check');
      try {
        return await until('braid to drain', 300_000, async () => {
          const acct = (await pool.query(`SELECT accepted, canonical, rejected, suppressed, duplicates FROM analytics.accounting WHERE project_id = $1`, [projectId])).rows[0];
          const jsm = await jsnc.jetstreamManager();
          let backlog = 0;
          for await (const c of jsm.consumers.list(RAW_STREAM)) backlog += c.num_pending + c.num_ack_pending;
          if (!acct || backlog > 0) return false;
          const decided = Number(acct.canonical) + Number(acct.rejected) + Number(acct.suppressed) + Number(acct.duplicates);
          return Number(acct.accepted) === decided && Number(acct.canonical) >= load.acked.size ? acct : false;
        });
      } finally {
        await jsnc.close();
      }
    };

    load.start();
    await sleep(5_000);
    await load.pause();
    await settled();
    for (const fault of FAULTS) {
      log(`fault: ${fault}`);
      const before = load.published;
      load.start();
      await sleep(2_000);
      const t0 = Date.now();
      await inject(fault);
      await sleep(FAULT_SECONDS * 1000);
      await load.pause();
      const publishedDuringFault = load.published - before;
      let exact = true;
      try {
        await settled();
      } catch (error) {
        exact = false;
        log(String(error));
      }
      const recoverSeconds = Math.round((Date.now() - t0) / 100) / 10;
      const ids = [...load.acked];
      const found = await pool.query<{ n: string; d: string; missing: string }>(
        `SELECT count(*) AS n, count(DISTINCT event_id) AS d,
                (SELECT count(*) FROM unnest($2::text[]) AS id WHERE NOT EXISTS (SELECT 1 FROM braid.canonical_events c WHERE c.project_id = $1 AND c.event_id = id)) AS missing
         FROM braid.canonical_events WHERE project_id = $1`,
        [projectId, ids],
      );
      const r = found.rows[0]!;
      const tasks = await failedWorkflowTasks().catch(() => ({ failed: -1, checked: 0 }));
      rows.push({ fault, failedWorkflowTasks: tasks.failed, workflowRunsChecked: tasks.checked, publishedDuringFault, acked: ids.length, lost: Number(r.missing), doubled: Number(r.n) - Number(r.d), accountingExact: exact, recoverSeconds });
      log(JSON.stringify(rows.at(-1)));
    }
    await load.close();
    await pool.end();
    await temporal.connection.close();

    console.error('\nfault            events in flight   acked so far   lost   doubled   accounting   failed wf tasks   time to recover');
    for (const r of rows) {
      console.error(
        `${r.fault.padEnd(16)} ${String(r.publishedDuringFault).padStart(16)}   ${String(r.acked).padStart(12)}   ${String(r.lost).padStart(4)}   ${String(r.doubled).padStart(7)}   ${(r.accountingExact ? 'exact' : 'OFF').padStart(10)}   ${String(r.failedWorkflowTasks).padStart(15)}   ${String(r.recoverSeconds).padStart(13)} s`,
      );
    }
    console.log(JSON.stringify({ chaos: 'braid', at: new Date().toISOString(), freezeSeconds: FREEZE_SECONDS, faultSeconds: FAULT_SECONDS, rate: RATE, faults: rows }));
    if (rows.some((r) => r.lost > 0 || r.doubled > 0 || !r.accountingExact || r.failedWorkflowTasks !== 0 || r.workflowRunsChecked === 0)) process.exitCode = 1;
  } finally {
    if (up && up.exitCode === null) {
      const exited = new Promise((r) => up!.once('exit', r));
      up.kill('SIGTERM');
      await Promise.race([exited, sleep(30_000)]);
    }
    await nats.stop();
    postgres.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
