import { randomBytes } from 'node:crypto';
import { Connection, type Client } from '@temporalio/client';
import { headers, type JetStreamClient, type JetStreamManager, type NatsConnection, type PubAck } from 'nats';
import type pg from 'pg';
import { inject } from 'vitest';
import type { CreateProject } from '../../contracts/project';
import { createPool, type ProcessRole } from '../../db/client';
import { getAccounting, waitForDrain, type AccountingRow } from '../../db/accounting';
import { createProject } from '../../db/projects';
import { IngestConsumer, type IngestOptions } from '../../ingest/consumer';
import { ProjectDirectory } from '../../ingest/project-directory';
import { ensureIngestConsumer } from '../../runtime/services/jetstream';
import { RAW_STREAM } from '../../contracts/wire';
import { MAX_GROUP_BYTES } from '../../ingest/start-ingest';
import { TemporalSessionSink, type SessionSink } from '../../ingest/session-sink';
import { loadConfig } from '../../runtime/config';
import { createLogger } from '../../runtime/logger';
import { connectNats } from '../../runtime/services/nats';
import { temporalClient } from '../../runtime/platform';
import { activeTracing } from '../../runtime/tracing';
import { createBraidWorker } from '../../workers/braid-worker';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../api/server';
import { createToken } from '../../db/api-tokens';
import { DEFAULT_SESSION_HOSTS } from '../../contracts/hosting';
import { hostWorkflowId } from '../../rules/session-key';

// The run's own database and settings, decided once by the global setup.
Object.assign(process.env, inject('testEnv'));

export function uniqueId(prefix = 't'): string {
  return `${prefix}${randomBytes(5).toString('hex')}`;
}

export interface StackOptions {
  projects: CreateProject[];
  /** Subjects to consume besides each project's `braid.raw.<projectId>.>`. */
  extraFilters?: string[];
  ingest?: Partial<IngestOptions>;
  idleMs?: number;
  /** Postgres for the worker and ingest (e.g. through a proxy a test can cut); the test database when absent. */
  databaseUrl?: string;
  /** Serve the HTTP API on a free port (with an admin token). */
  api?: boolean;
  /** Messages or lines per replay/backfill chunk. */
  operationChunk?: number;
  /** Run no in-process worker (a test starts worker processes itself). */
  noWorker?: boolean;
  /** Wraps the sink, e.g. to make hand-offs fail. */
  wrapSink?: (sink: SessionSink) => SessionSink;
}

export interface Stack {
  pool: pg.Pool;
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  client: Client;
  taskQueue: string;
  consumers: IngestConsumer[];
  api: { url: string; adminToken: string; // eslint-disable-next-line @typescript-eslint/no-explicit-any -- test bodies are asserted field by field
    call<T = any>(method: string, path: string, body?: unknown, token?: string | null): Promise<{ status: number; body: T }> } | null;
  publish(subject: string, payload: unknown, options?: { msgId?: string | null; headers?: Record<string, string> }): Promise<PubAck>;
  drained(projectId: string, minAccepted: number, timeoutMs?: number): Promise<AccountingRow>;
  accounting(projectId: string): Promise<AccountingRow | undefined>;
  stopIngest(): Promise<void>;
  stop(): Promise<void>;
  /** The workflow hosting a device's actor (a project with the default `sessionHosts` unless given). */
  hostOf(projectId: string, channel: string, deviceKey: string, hosts?: number): string;
}

/**
 * A whole braid on the real services, scoped to one test: its projects, a
 * Temporal worker on its own task queue, and one ingest consumer per project
 * subject filter, so test files run in parallel without sharing state.
 */
export async function startStack(options: StackOptions): Promise<Stack> {
  const config = loadConfig();
  const log = createLogger(process.env.BRAID_TEST_LOG_LEVEL ?? 'error', 'braid-test');
  const pool = createPool(config.DATABASE_URL, 10);
  for (const project of options.projects) await createProject(pool, project);
  // Each part acts as its own least-privilege role, as the processes do (BRAID_DB_ROLES).
  const role = (name: ProcessRole) => (config.BRAID_DB_ROLES === 'on' ? name : undefined);
  const serviceUrl = options.databaseUrl ?? config.DATABASE_URL;
  const workerPool = createPool(serviceUrl, 10, role('worker'));
  const ingestPool = createPool(serviceUrl, 10, role('ingest'));
  const apiPool = createPool(config.DATABASE_URL, 10, role('api'));

  const nc = await connectNats(config.NATS_URL, 'braid-test');
  const js = nc.jetstream();
  const jsm = await nc.jetstreamManager();
  const address = inject('temporalAddress');
  const taskQueue = uniqueId('tq-');
  const started = options.noWorker
    ? null
    : await createBraidWorker({
        address,
        namespace: config.TEMPORAL_NAMESPACE,
        taskQueue,
        pool: workerPool,
        nc,
        log,
        operationChunk: options.operationChunk,
        workflowBundle: { codePath: inject('workflowBundlePath') },
        tracing: activeTracing(),
      });
  const workerRun = started?.worker.run();
  const connection = await Connection.connect({ address });
  const client = temporalClient(connection, config.TEMPORAL_NAMESPACE);
  const baseSink = new TemporalSessionSink(client, ingestPool, taskQueue, options.idleMs ?? 60_000);
  const sink = options.wrapSink ? options.wrapSink(baseSink) : baseSink;

  const filters = [...options.projects.map((p) => `braid.raw.${p.projectId}.>`), ...(options.extraFilters ?? [])];
  const durables: string[] = [];
  const consumers: IngestConsumer[] = [];
  for (const filterSubject of filters) {
    const durable = uniqueId('ingest_');
    durables.push(durable);
    await ensureIngestConsumer(jsm, { durable, filterSubject, ackWaitMs: 30_000, maxAckPending: 10_000 });
    const consumer = new IngestConsumer(
      { js, pool: ingestPool, directory: new ProjectDirectory(ingestPool), sink, log },
      {
        durable,
        fetchSize: 200,
        lingerMs: 50,
        maxGroupEvents: 200,
        maxGroupBytes: MAX_GROUP_BYTES,
        maxInflightSignals: 16,
        maxDeliver: 5,
        ...options.ingest,
        hosting: options.ingest?.hosting ?? config.BRAID_SESSION_HOSTING,
      },
    );
    await consumer.start();
    consumers.push(consumer);
  }

  let api: Stack['api'] = null;
  let app: FastifyInstance | null = null;
  if (options.api) {
    app = buildApi({ pool: apiPool, nc, temporal: client, taskQueue, hosting: config.BRAID_SESSION_HOSTING, log });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    const { token: adminToken } = await createToken(pool, { name: `test admin ${taskQueue}`, role: 'admin' });
    api = {
      url,
      adminToken,
      async call(method, path, body, token = adminToken) {
        const res = await fetch(`${url}${path}`, {
          method,
          headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
          body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
        });
        const text = await res.text();
        return { status: res.status, body: text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text };
      },
    };
  }

  let ingestStopped = false;
  const stopIngest = async () => {
    if (ingestStopped) return;
    ingestStopped = true;
    await Promise.all(consumers.map((c) => c.stop()));
  };

  return {
    pool,
    nc,
    js,
    jsm,
    client,
    taskQueue,
    consumers,
    api,
    async publish(subject, payload, opts = {}) {
      const h = headers();
      const msgId = opts.msgId === undefined ? (payload as { messageId?: unknown })?.messageId : opts.msgId;
      if (typeof msgId === 'string' && msgId.length > 0) h.set('Nats-Msg-Id', msgId);
      for (const [k, v] of Object.entries(opts.headers ?? {})) h.set(k, v);
      const data = payload instanceof Uint8Array ? payload : typeof payload === 'string' ? payload : JSON.stringify(payload);
      return js.publish(subject, data, { headers: h });
    },
    drained: (projectId, minAccepted, timeoutMs = 60_000) => waitForDrain(pool, projectId, minAccepted, timeoutMs),
    accounting: async (projectId) => (await getAccounting(pool, projectId))[0],
    stopIngest,
    hostOf: (projectId, channel, deviceKey, hosts = DEFAULT_SESSION_HOSTS) => hostWorkflowId({ projectId, channel, deviceKey, hosts, hosting: config.BRAID_SESSION_HOSTING }),
    async stop() {
      await app?.close();
      await stopIngest();
      started?.worker.shutdown();
      await workerRun;
      await started?.connection.close();
      await connection.close();
      for (const durable of durables) await jsm.consumers.delete(RAW_STREAM, durable).catch(() => undefined);
      await nc.close();
      await Promise.all([workerPool.end(), ingestPool.end(), apiPool.end()]);
      await pool.end();
    },
  };
}
