import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { headers, type JetStreamClient } from 'nats';
import type pg from 'pg';
import { getAccounting } from '../db/accounting';
import { createProject } from '../db/projects';
import { loadConfig, parseDuration } from '../runtime/config';
import { createLogger } from '../runtime/logger';
import { repoRoot } from '../runtime/paths';
import { prepareNats, preparePostgres } from '../runtime/platform';
import { startPrivateNats } from '../runtime/services/nats';
import { resolveTemporalBinary, startDevServer } from '../runtime/services/temporal';
import { buildWorkload, type WorkloadShape } from './workload';

type Variant = 'raw' | 'braid' | 'naive';

interface VariantResult {
  variant: Variant;
  sessions: number;
  published: number;
  canonical: number;
  rejected: number;
  duplicates: number;
  seconds: number;
  eventsPerSecond: number;
  latencyMs: { p50: number; p99: number };
  historyEventsPerCanonicalEvent: number | null;
  signals: number | null;
  peakRssMb: { worker: number | null; ingest: number };
  peakLiveSessionWorkflows: number | null;
}

const intFromEnv = (name: string, fallback: number) => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer`);
  return value;
};

/**
 * `npm run bench`: the same workload through three pipelines, in one run, on
 * the real services, each pipeline in its own worker and ingest processes:
 * braid (linger-batched signals to session workflows), the raw limit (same
 * consumer and write path, no Temporal) and a naive design (one signal per
 * event). Prints one JSON line; ratios are what to compare across machines.
 */
export async function runBench(): Promise<void> {
  const shape: WorkloadShape = { sessions: intFromEnv('BENCH_SESSIONS', 3000), eventsPerSession: intFromEnv('BENCH_EVENTS_PER_SESSION', 5) };
  const naiveShape: WorkloadShape = { sessions: intFromEnv('BENCH_NAIVE_SESSIONS', 600), eventsPerSession: shape.eventsPerSession };
  const variants = (process.env.BENCH_VARIANTS ?? 'raw,braid,naive').split(',').map((v) => v.trim()) as Variant[];
  if (variants.some((v) => !['raw', 'braid', 'naive'].includes(v))) throw new Error('BENCH_VARIANTS is a list of raw, braid, naive');
  const benchDb = new URL(loadConfig().DATABASE_URL);
  benchDb.pathname = '/braid_bench';
  process.env.DATABASE_URL = benchDb.toString();
  const log = createLogger('warn', 'braid-bench');
  // Its own nats-server when one is installed: bench traffic stays out of this machine's BRAID_RAW.
  const privateNats = process.env.NATS_URL ? null : await startPrivateNats(log);
  if (privateNats) process.env.NATS_URL = privateNats.url;
  const config = loadConfig();
  const pool = await preparePostgres(config, log);
  const nats = await prepareNats(config, log, 'braid-bench');
  const stateDir = mkdtempSync(join(tmpdir(), 'braid-bench-'));
  const binary = await resolveTemporalBinary({ explicitPath: config.BRAID_TEMPORAL_BIN, cache: config.BRAID_CACHE_DIR, log });
  // Persistent like `braid up` (SQLite file, WAL), so the figures reflect what users run.
  const server = await startDevServer({ binary, namespace: config.TEMPORAL_NAMESPACE, dbFile: join(stateDir, 'temporal.sqlite'), logFile: join(stateDir, 'temporal.log'), log });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  const runId = Date.now().toString(36);
  const results: VariantResult[] = [];
  try {
    for (const variant of variants) {
      console.error(`bench: ${variant}…`);
      const result = await runVariant({ variant, runId, shape: variant === 'naive' ? naiveShape : shape, pool, js: nats.js, client, temporalAddress: server.address });
      console.error(`bench: ${variant}: ${result.eventsPerSecond} events/s`);
      results.push(result);
    }
  } finally {
    await connection.close();
    await server.stop();
    await nats.nc.close();
    await privateNats?.stop();
    await pool.end();
    rmSync(stateDir, { recursive: true, force: true });
  }
  const by = Object.fromEntries(results.map((r) => [r.variant, r])) as Record<Variant, VariantResult>;
  if (!by.raw || !by.braid || !by.naive) {
    console.log(JSON.stringify({ bench: 'braid', partial: true, variants: results }));
    return;
  }
  const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
  console.log(
    JSON.stringify({
      bench: 'braid',
      at: new Date().toISOString(),
      workload: { ...shape, naiveSessions: naiveShape.sessions, channels: 3 },
      braidEventsPerSecond: by.braid.eventsPerSecond,
      rawEventsPerSecond: by.raw.eventsPerSecond,
      naiveEventsPerSecond: by.naive.eventsPerSecond,
      braidVsRaw: ratio(by.braid.eventsPerSecond, by.raw.eventsPerSecond),
      braidVsNaive: ratio(by.braid.eventsPerSecond, by.naive.eventsPerSecond),
      braidLatencyMs: by.braid.latencyMs,
      historyEventsPerCanonicalEvent: by.braid.historyEventsPerCanonicalEvent,
      naiveHistoryEventsPerCanonicalEvent: by.naive.historyEventsPerCanonicalEvent,
      eventsPerSignal: by.braid.signals ? ratio(by.braid.canonical + by.braid.duplicates, by.braid.signals) : null,
      peakRssMb: by.braid.peakRssMb,
      peakLiveSessionWorkflows: by.braid.peakLiveSessionWorkflows,
      variants: results,
    }),
  );
}

async function runVariant(options: {
  variant: Variant;
  runId: string;
  shape: WorkloadShape;
  pool: pg.Pool;
  js: JetStreamClient;
  client: Client;
  temporalAddress: string;
}): Promise<VariantResult> {
  const { variant, runId, shape, pool, js, client } = options;
  const projectId = `bench_${variant}_${runId}`;
  const taskQueue = `bench-${variant}-${runId}`;
  await createProject(pool, { projectId, name: `bench ${variant}` });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: options.temporalAddress,
    BRAID_TASK_QUEUE: taskQueue,
    BRAID_INGEST_DURABLE: `bench_${variant}_${runId}`,
    BRAID_INGEST_FILTER: `braid.raw.${projectId}.>`,
    BRAID_LOG_LEVEL: 'warn',
    BRAID_SESSION_IDLE: '10m',
    ...(variant === 'naive' ? { BRAID_INGEST_MAX_GROUP: '1', BRAID_INGEST_LINGER: '0ms' } : {}),
  };
  const braid = join(repoRoot, 'bin', 'braid.js');
  // Extra node flags for the child processes, e.g. BENCH_CHILD_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof".
  const nodeArgs = (process.env.BENCH_CHILD_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const worker = variant === 'raw' ? null : await startProcess([...nodeArgs, braid, 'worker'], env, 'braid: worker running');
  const ingest = variant === 'raw'
    ? await startProcess([...nodeArgs, '--require', 'tsx/cjs', join(repoRoot, 'bench', 'raw-ingest.ts')], env, 'braid: ingest running')
    : await startProcess([...nodeArgs, braid, 'ingest'], env, 'braid: ingest running');
  try {
    const workload = buildWorkload(projectId, runId, shape, Date.now());
    const expectedAccepted = workload.messages.length;
    const started = Date.now();
    await publishAll(js, workload.messages);
    let peakLive = 0;
    let lastSample = 0;
    let progress = { at: Date.now(), done: -1 };
    for (;;) {
      const [row] = await getAccounting(pool, projectId);
      if (row && row.accepted >= expectedAccepted && row.inFlight === 0) break;
      const done = row ? row.canonical + row.rejected + row.duplicates : 0;
      if (done !== progress.done) progress = { at: Date.now(), done };
      if (Date.now() - progress.at > 120_000) throw new Error(`${variant} made no progress for 2 minutes: ${JSON.stringify(row)} of ${expectedAccepted} published`);
      if (worker && Date.now() - lastSample > 1_000) {
        lastSample = Date.now();
        peakLive = Math.max(peakLive, await countRunning(client, taskQueue));
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const seconds = (Date.now() - started) / 1000;
    const [row] = await getAccounting(pool, projectId);
    const latency = await pool.query<{ p50: number; p99: number }>(
      `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50, percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) AS p99
       FROM (SELECT extract(epoch FROM (e.written_at - e.received_at)) * 1000 AS ms FROM analytics.events e WHERE e.project_id = $1) x`,
      [projectId],
    );
    const history = worker ? await historyEvents(client, taskQueue) : null;
    const result: VariantResult = {
      variant,
      sessions: shape.sessions,
      published: expectedAccepted,
      canonical: row!.canonical,
      rejected: row!.rejected,
      duplicates: row!.duplicates,
      seconds: Math.round(seconds * 100) / 100,
      eventsPerSecond: Math.round(row!.canonical / seconds),
      latencyMs: { p50: Math.round(latency.rows[0]!.p50), p99: Math.round(latency.rows[0]!.p99) },
      historyEventsPerCanonicalEvent: history ? Math.round((history.events / row!.canonical) * 100) / 100 : null,
      signals: history ? history.signals : null,
      peakRssMb: { worker: worker ? peakRssMb(worker) : null, ingest: peakRssMb(ingest) as number },
      peakLiveSessionWorkflows: worker ? peakLive : null,
    };
    const expected = { canonical: workload.expectedCanonical, rejected: workload.expectedRejected, duplicates: workload.expectedDuplicates };
    if (result.canonical !== expected.canonical || result.rejected !== expected.rejected || result.duplicates !== expected.duplicates) {
      throw new Error(`${variant}: accounting ${JSON.stringify(row)} differs from the workload's ${JSON.stringify(expected)}`);
    }
    return result;
  } finally {
    await stopProcess(ingest);
    if (worker) await stopProcess(worker);
  }
}

async function publishAll(js: JetStreamClient, messages: { subject: string; data: string; msgId: string | null }[]): Promise<void> {
  const inFlight = new Set<Promise<unknown>>();
  for (const m of messages) {
    const h = headers();
    if (m.msgId) h.set('Nats-Msg-Id', m.msgId);
    const p = js
      .publish(m.subject, m.data, { headers: h })
      .then((ack) => {
        if (ack.duplicate) throw new Error(`JetStream treated ${m.msgId} as a duplicate: the workload's message ids must be new`);
      })
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
    if (inFlight.size >= 512) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
}

async function countRunning(client: Client, taskQueue: string): Promise<number> {
  try {
    const { count } = await client.workflow.count(`TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Running'`);
    return count;
  } catch {
    return 0;
  }
}

/** Temporal history events across every run on the task queue, and how many were signals. */
async function historyEvents(client: Client, taskQueue: string): Promise<{ events: number; signals: number }> {
  let events = 0;
  let signals = 0;
  for await (const execution of client.workflow.list({ query: `TaskQueue = '${taskQueue}'` })) {
    const history = await client.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory();
    events += history.events?.length ?? 0;
    signals += history.events?.filter((e) => e.workflowExecutionSignaledEventAttributes).length ?? 0;
  }
  return { events, signals };
}

interface Started {
  child: ChildProcess;
  peakKb: number;
  sampler: NodeJS.Timeout;
}

function startProcess(args: string[], env: NodeJS.ProcessEnv, readyText: string): Promise<Started> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env, cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] });
    let output = '';
    const started: Started = { child, peakKb: 0, sampler: setInterval(() => sampleRss(started), 250) };
    const timer = setTimeout(() => reject(new Error(`${args.join(' ')} did not start within 120 s:\n${output}`)), 120_000);
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(readyText)) {
        clearTimeout(timer);
        resolve(started);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      clearInterval(started.sampler);
      reject(new Error(`${args.join(' ')} exited with ${code}:\n${output}`));
    });
  });
}

/** The kernel's high-water mark of the process's resident memory (VmHWM). */
function sampleRss(p: Started): void {
  try {
    const status = readFileSync(`/proc/${p.child.pid}/status`, 'utf8');
    const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
    p.peakKb = Math.max(p.peakKb, kb);
  } catch {
    /* exited */
  }
}

function peakRssMb(p: Started): number {
  sampleRss(p);
  return Math.round(p.peakKb / 1024);
}

async function stopProcess(p: Started): Promise<void> {
  sampleRss(p);
  clearInterval(p.sampler);
  if (p.child.exitCode !== null) return;
  p.child.removeAllListeners('exit');
  await new Promise<void>((resolve) => {
    p.child.once('exit', () => resolve());
    p.child.kill('SIGTERM');
    setTimeout(() => p.child.kill('SIGKILL'), parseDuration('20s')).unref();
  });
}
