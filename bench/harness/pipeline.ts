import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { rawSubject } from '../../contracts/wire';
import { repoRoot } from '../../runtime/paths';
import { freePort, startDevServer, type DevServer } from '../../runtime/services/temporal';
import { BACKGROUND_NICENESS } from '../../runtime/supervisor';
import { BenchChild } from './child-process';
import type { BenchEnvironment } from './environment';
import { CpuMeter, memoryMb } from './proc-stats';
import { historyTotals, type HistoryTotals } from './temporal-history';

/**
 * How events reach Postgres: device actors on host workflows (braid's
 * default), one workflow per device, or the raw limit (same consumer and
 * write path, no Temporal).
 */
export type PipelineKind = 'hosted' | 'per-device' | 'raw';

export interface PipelineSpec {
  /** Short name, e.g. `burst-hosted`: the children's output prefix and part of the queue and consumer names. */
  name: string;
  /** The one project whose subjects the pipeline's ingest consumes. */
  projectId: string;
  kind: PipelineKind;
  /** Also run `braid api` (the HTTP collector) on a free port. */
  api?: boolean;
  /** Worker and ingest at lower CPU priority, as `braid up` runs them next to the API. */
  likeBraidUp?: boolean;
}

const braidCli = join(repoRoot, 'bin', 'braid.js');

interface PipelineTemporal {
  server: DevServer;
  dbFile: string;
  connection: Connection;
  client: Client;
}

/**
 * One pipeline under measurement, every part a process of its own as in
 * production: a Temporal dev server of its own (persistent SQLite with WAL,
 * as `braid up` runs it; none for raw), `braid worker`, `braid ingest` (or
 * the raw ingest) and optionally `braid api`, on a task queue and a durable
 * consumer named after the run. Its own dev server keeps one pipeline's
 * workflows from weighing on the next one's measurement.
 */
export class Pipeline {
  private constructor(
    readonly spec: PipelineSpec,
    readonly taskQueue: string,
    readonly durable: string,
    private readonly temporal: PipelineTemporal | null,
    readonly worker: BenchChild | null,
    readonly ingest: BenchChild,
    readonly api: BenchChild | null,
    /** The collector's base URL when the API runs. */
    readonly httpUrl: string | null,
  ) {}

  static async start(env: BenchEnvironment, spec: PipelineSpec): Promise<Pipeline> {
    const taskQueue = `bench-${spec.name}-${env.runId}`;
    const durable = `bench_${spec.name.replace(/[^A-Za-z0-9_]/g, '_')}_${env.runId}`;
    env.consumers.add(durable);
    const started: { stop(): Promise<void> }[] = [];
    try {
      let temporal: PipelineTemporal | null = null;
      if (spec.kind !== 'raw') {
        const dbFile = join(env.stateDir, `${spec.name}.sqlite`);
        const server = await startDevServer({
          binary: env.temporalBinary,
          namespace: env.namespace,
          dbFile,
          logFile: join(env.stateDir, `${spec.name}-temporal.log`),
          log: env.log,
        });
        started.push(server);
        const connection = await Connection.connect({ address: server.address });
        started.push({ stop: () => connection.close() });
        temporal = { server, dbFile, connection, client: new Client({ connection, namespace: env.namespace }) };
      }
      const port = spec.api ? await freePort() : null;
      const childEnv: NodeJS.ProcessEnv = {
        ...env.childEnv,
        ...(temporal ? { TEMPORAL_ADDRESS: temporal.server.address } : {}),
        BRAID_TASK_QUEUE: taskQueue,
        BRAID_INGEST_DURABLE: durable,
        BRAID_INGEST_FILTER: rawSubject(spec.projectId, '>'),
        BRAID_SESSION_HOSTING: spec.kind === 'per-device' ? 'per-device' : 'hosted',
        ...(port ? { BRAID_HTTP_PORT: String(port), BRAID_ADMIN_TOKEN: randomBytes(24).toString('hex') } : {}),
      };
      const niceness = spec.likeBraidUp ? BACKGROUND_NICENESS : 0;
      const start = async (role: string, args: string[], childNiceness = niceness) => {
        const child = await BenchChild.start({ role: `${spec.name}/${role}`, args, env: childEnv, niceness: childNiceness });
        started.push(child);
        return child;
      };
      // Worker and ingest start side by side; when one fails, the other is stopped once it is up.
      const [worker, ingest] = await Promise.allSettled([
        temporal ? start('worker', [braidCli, 'worker']) : null,
        spec.kind === 'raw' ? start('ingest', ['--require', 'tsx/cjs', join(repoRoot, 'bench', 'raw-ingest.ts')]) : start('ingest', [braidCli, 'ingest']),
      ]);
      if (worker.status === 'rejected') throw worker.reason;
      if (ingest.status === 'rejected') throw ingest.reason;
      const api = spec.api ? await start('api', [braidCli, 'api'], 0) : null;
      return new Pipeline(spec, taskQueue, durable, temporal, worker.value, ingest.value as BenchChild, api, port ? `http://127.0.0.1:${port}` : null);
    } catch (error) {
      for (const part of started.reverse()) await part.stop().catch(() => undefined);
      throw error;
    }
  }

  /** Throws when one of the pipeline's processes has died. */
  assertRunning(): void {
    for (const child of [this.worker, this.ingest, this.api]) {
      if (child?.exited) throw new Error(`${child.role} exited (${child.exited}) during the measurement`);
    }
  }

  /** Processes by role, for CPU and memory readings. */
  pids(): Record<string, number> {
    const pids: Record<string, number | undefined> = {
      worker: this.worker?.pid,
      ingest: this.ingest.pid,
      api: this.api?.pid,
      temporal: this.temporal?.server.process.pid,
    };
    return Object.fromEntries(Object.entries(pids).filter((e): e is [string, number] => e[1] !== undefined));
  }

  /** Peak resident memory (VmHWM) of each process so far, in MB. */
  peakRssMb(): Record<string, number | null> {
    return {
      worker: this.worker?.peakRssMb() ?? null,
      ingest: this.ingest.peakRssMb(),
      ...(this.api ? { api: this.api.peakRssMb() } : {}),
      ...(this.temporal ? { temporal: memoryMb(this.temporal.server.process.pid, 'VmHWM') } : {}),
    };
  }

  /** Temporal history of every workflow run on the pipeline's task queue; null for raw. */
  async history(): Promise<HistoryTotals | null> {
    return this.temporal ? historyTotals(this.temporal.client, this.taskQueue) : null;
  }

  /** API first, worker last (as `braid up` stops them), then the dev server. */
  async stop(): Promise<void> {
    for (const child of [this.api, this.ingest, this.worker]) await child?.stop();
    if (this.temporal) {
      await this.temporal.connection.close().catch(() => undefined);
      await this.temporal.server.stop();
      for (const suffix of ['', '-wal', '-shm']) rmSync(`${this.temporal.dbFile}${suffix}`, { force: true });
    }
  }
}

/**
 * CPU of everything a pipeline runs on: its processes, the Postgres backends
 * of the bench database, the run's nats-server, and the benchmark itself
 * (the load generator).
 */
export function pipelineCpuMeter(env: BenchEnvironment, pipeline: Pipeline): CpuMeter {
  return new CpuMeter(async () => {
    const backends = await env.pool.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE datname = current_database()`);
    return {
      ...Object.fromEntries(Object.entries(pipeline.pids()).map(([role, pid]) => [role, [pid]])),
      postgres: backends.rows.map((r) => r.pid),
      nats: env.natsPid === undefined ? [] : [env.natsPid],
      bench: [process.pid],
    };
  });
}
