import type pg from 'pg';
import { connect, type JetStreamManager, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RAW_STREAM } from '../../contracts/wire';
import { waitForDrain } from '../../db/accounting';
import { createPool } from '../../db/client';
import { createProject } from '../../db/projects';
import { loadConfig } from '../../runtime/config';
import { createLogger } from '../../runtime/logger';
import { ensurePostgres } from '../../runtime/services/postgres';
import { runMigrations } from '../../db/migrate';
import { databaseUrlNamed, dropDatabase } from '../support/test-env';
import { sumSamples } from '../../runtime/metrics';
import { fetchText } from '../../runtime/metrics-server';
import { createClient, type BraidClient, type Delivery } from '../../sdk';
import { NatsCluster } from '../support/nats-cluster';
import { freePort, waitUntil } from '../support/nats-server';
import { uniqueId } from '../support/stack';
import { BraidProcess } from '../support/worker-process';

const EVENTS = 3_000;
const PER_SECOND = 150;
const DEVICES = 100;
const CHANNELS = ['web', 'mobile', 'backend'] as const;

/** A braid process together with where its /metrics are served. */
interface Copy {
  process: BraidProcess;
  metricsUrl: string;
}

/** What a copy had done, read from its own /metrics. */
interface Work {
  /** Messages an ingest decided (accepted or rejected). */
  ingested: number;
  /** Events a worker's session hosts decided (written, duplicate, suppressed, held). */
  decided: number;
}

/**
 * braid scaled out: a three-node NATS cluster on loopback with BRAID_RAW kept
 * in three copies, two `braid ingest` on one durable consumer and two
 * `braid worker` on one task queue. Under steady load from the SDK, the
 * stream's leader node, one ingest and one worker are killed (SIGKILL) at
 * once. Every published event is then accounted for exactly once, none is
 * written twice, and each copy of each process had done a share of the work
 * before the kill, so the copies divide the load rather than stand by.
 */
describe('braid scaled out on a NATS cluster', () => {
  const projectId = uniqueId('scale');
  const taskQueue = uniqueId('tq-scale-');
  let cluster: NatsCluster;
  let pool: pg.Pool;
  let databaseUrl = '';
  const ingests: Copy[] = [];
  const workers: Copy[] = [];
  const publishers: BraidClient[] = [];
  const publisherConnections: NatsConnection[] = [];

  beforeAll(async () => {
    cluster = await NatsCluster.start(3);
    // A database of its own: receipts are keyed by stream position, and this cluster's BRAID_RAW counts
    // its positions from 1 like the shared server's, so the two must not share one set of receipts.
    databaseUrl = databaseUrlNamed(loadConfig().DATABASE_URL, `${new URL(loadConfig().DATABASE_URL).pathname.slice(1)}_scale`);
    await ensurePostgres(databaseUrl, createLogger('silent'));
    pool = createPool(databaseUrl, 4);
    await runMigrations(pool);
    // More host workflows than the default, so both workers hold some of them.
    await createProject(pool, { projectId, name: 'scale out', sessionHosts: 16 });
    const env = { ...processEnv(cluster.urls, projectId, taskQueue), DATABASE_URL: databaseUrl };
    for (let i = 0; i < 2; i += 1) {
      ingests.push(await copyOf('ingest', env));
      workers.push(await copyOf('worker', env));
    }
    // The first copy creates BRAID_RAW (three replicas, from its BRAID_RAW_REPLICAS) and the consumer, as a first
    // deployment's first process does; the other copies then find them. (Started all at once on a fresh cluster,
    // nats-server 2.9 sometimes times out a create, or drops one consumer's first pull: that copy idles ~30 s.)
    await workers[0]!.process.start();
    await Promise.all([ingests[0]!, ingests[1]!, workers[1]!].map((c) => c.process.start()));
  });

  afterAll(async () => {
    await Promise.allSettled(publishers.map((p) => p.close({ timeoutMs: 1_000 })));
    await Promise.allSettled(publisherConnections.map((nc) => nc.close()));
    await Promise.allSettled([...ingests, ...workers].map((c) => c.process.stop()));
    await pool?.end();
    await cluster?.stop();
    if (databaseUrl) await dropDatabase(databaseUrl);
  });

  it('accounts for every event exactly once when a NATS node, an ingest and a worker die under load', async () => {
    const stream = await rawStreamInfo(cluster);
    expect(stream.config.num_replicas).toBe(3);
    const killedNode = stream.cluster?.leader;
    if (!killedNode) throw new Error(`BRAID_RAW has no leader: ${JSON.stringify(stream.cluster)}`);

    // The publishers start on the node that will die, so they must move to another and retry what was in flight.
    const publisherUrls = [cluster.node(killedNode).server.url, ...cluster.nodes.filter((n) => n.name !== killedNode).map((n) => n.server.url)];
    const connections = await Promise.all(CHANNELS.map(() => connect({ servers: publisherUrls, noRandomize: true, maxReconnectAttempts: -1, reconnectTimeWait: 250 })));
    publisherConnections.push(...connections);
    const reconnects = connections.map(countReconnects);
    const messageIds = Array.from({ length: EVENTS }, (_, i) => `${projectId}-${i}`);
    const load = publishSteadily(messageIds, connections, projectId, publishers);

    // In the middle of the load, once every copy has a share of the work: both ingests and both workers.
    await waitUntil(async () => load.acked() >= EVENTS / 3, 60_000, 'a third of the events to be acked');
    let before = await Promise.all([...ingests, ...workers].map((c) => workOf(c, projectId)));
    while (!everyCopyWorked(before) && load.acked() < EVENTS * 0.8) {
      await new Promise((r) => setTimeout(r, 200));
      before = await Promise.all([...ingests, ...workers].map((c) => workOf(c, projectId)));
    }
    const [ingestA, ingestB, workerA, workerB] = before as [Work, Work, Work, Work];
    expect([ingestA.ingested, ingestB.ingested].map((n) => n > 0), 'both ingests decided messages before the kill').toEqual([true, true]);
    expect([workerA.decided, workerB.decided].map((n) => n > 0), 'both workers decided events before the kill').toEqual([true, true]);
    const ackedAtKill = load.acked();
    const consumerLeader = (await askJetStream(cluster, (jsm) => jsm.consumers.info(RAW_STREAM, durableOf(projectId)))).cluster?.leader;
    expect(ackedAtKill, 'the load was still going when the copies were killed').toBeLessThan(EVENTS);
    await Promise.all([cluster.kill(killedNode), ingests[0]!.process.kill(), workers[0]!.process.kill()]);
    const killedAt = Date.now();

    const deliveries = await load.done;
    expect(reconnects.map((r) => r.count > 0), 'every publisher moved to another node').toEqual(CHANNELS.map(() => true));
    await cluster.restart(killedNode);
    const accounting = await waitForDrain(pool, projectId, EVENTS, 120_000);
    const drainedSecondsAfterKill = Math.round((Date.now() - killedAt) / 1000);

    // Exact: every published event accepted once (JetStream dropped the retried publishes as duplicates) and written once.
    expect(deliveries.map((d) => d.messageId).sort()).toEqual([...messageIds].sort());
    expect(accounting).toMatchObject({ accepted: EVENTS, canonical: EVENTS, rejected: 0, suppressed: 0, duplicates: 0, inFlight: 0 });
    const written = await pool.query<{ n: number; distinct: number; published: number }>(
      `SELECT count(*)::int AS n, count(DISTINCT event_id)::int AS distinct, count(*) FILTER (WHERE event_id = ANY($2))::int AS published
         FROM braid.canonical_events WHERE project_id = $1`,
      [projectId, messageIds],
    );
    expect(written.rows[0]).toEqual({ n: EVENTS, distinct: EVENTS, published: EVENTS });
    expect((await rawStreamInfo(cluster)).state.messages).toBe(EVENTS);

    // The survivors carried on after the kill.
    const after = { ingest: await workOf(ingests[1]!, projectId), worker: await workOf(workers[1]!, projectId) };
    expect([ingests[1]!.process.running, workers[1]!.process.running], 'the surviving ingest and worker still run').toEqual([true, true]);
    expect(after.ingest.ingested).toBeGreaterThan(ingestB.ingested);
    expect(after.worker.decided).toBeGreaterThan(workerB.decided);

    // The restarted node catches up: its copy of BRAID_RAW is current again.
    await waitUntil(async () => (await rawStreamInfo(cluster)).cluster?.replicas?.some((r) => r.name === killedNode && r.current) === true, 30_000, `${killedNode} to catch up`);

    console.info(
      `scale-out: killed NATS ${killedNode} (BRAID_RAW leader; the consumer's leader was ${consumerLeader}) at ${ackedAtKill}/${EVENTS} acked; ` +
        `acked as duplicates after a retry: ${deliveries.filter((d) => d.duplicate).length}; ` +
        `before the kill: ingest ${ingestA.ingested}/${ingestB.ingested}, worker ${workerA.decided}/${workerB.decided}; ` +
        `survivors in all: ingest ${after.ingest.ingested}, worker ${after.worker.decided}; drained ${drainedSecondsAfterKill} s after the kill`,
    );
  }, 300_000);
});

/** The settings every copy shares: the cluster, the three replicas, one durable consumer for the project, one task queue. */
function processEnv(natsUrl: string, projectId: string, taskQueue: string): Record<string, string> {
  return {
    NATS_URL: natsUrl,
    BRAID_RAW_REPLICAS: '3',
    // Longer than any publish retry takes, so JetStream drops every retried publish it already stored.
    BRAID_RAW_DUPLICATE_WINDOW: '2m',
    BRAID_INGEST_DURABLE: durableOf(projectId),
    BRAID_INGEST_FILTER: `braid.raw.${projectId}.>`,
    // Small pulls, so both ingests get messages; a short ack wait, so the killed one's are redelivered soon.
    BRAID_INGEST_FETCH: '50',
    BRAID_INGEST_ACK_WAIT: '10s',
    BRAID_TASK_QUEUE: taskQueue,
    BRAID_SESSION_IDLE: '60s',
  };
}

function durableOf(projectId: string): string {
  return `scale_${projectId}`;
}

function everyCopyWorked([ingestA, ingestB, workerA, workerB]: Work[]): boolean {
  return ingestA!.ingested > 0 && ingestB!.ingested > 0 && workerA!.decided > 0 && workerB!.decided > 0;
}

async function copyOf(command: 'ingest' | 'worker', env: Record<string, string>): Promise<Copy> {
  const port = await freePort();
  return { process: new BraidProcess(command, { ...env, BRAID_METRICS_PORT: String(port) }), metricsUrl: `http://127.0.0.1:${port}/metrics` };
}

async function workOf(copy: Copy, projectId: string): Promise<Work> {
  const text = await fetchText(copy.metricsUrl);
  return {
    ingested: sumSamples(text, 'braid_ingest_messages_total', { project: projectId }),
    decided: sumSamples(text, 'braid_worker_events_total', { project: projectId }),
  };
}

/**
 * Publishes one event per messageId at a steady rate through braid's SDK, one
 * client per channel on the given connections: a publish whose ack does not
 * come is retried with the same messageId (Nats-Msg-Id), on whichever node
 * the connection moved to. Stops sending when the test ends early.
 */
function publishSteadily(messageIds: string[], connections: NatsConnection[], projectId: string, clients: BraidClient[]) {
  const byChannel = CHANNELS.map((channel, i) =>
    createClient({ connection: connections[i], projectId, channel, publishTimeoutMs: 2_000, retry: { maxAttempts: 60, initialDelayMs: 100, maxDelayMs: 1_000 } }),
  );
  clients.push(...byChannel);
  let acked = 0;
  const done = (async () => {
    const startedAt = Date.now();
    const deliveries: Promise<Delivery>[] = [];
    for (const [i, messageId] of messageIds.entries()) {
      await new Promise((r) => setTimeout(r, Math.max(0, startedAt + (i * 1000) / PER_SECOND - Date.now())));
      if (connections.some((nc) => nc.isClosed())) break;
      const client = byChannel[i % CHANNELS.length]!;
      const anonymousId = `dev-${i % DEVICES}`;
      const sent = i % 5 === 0 ? client.page({ messageId, anonymousId, name: 'Pricing' }) : client.track({ messageId, anonymousId, event: 'Button Clicked', properties: { i } });
      deliveries.push(sent.then((d) => ((acked += 1), d)));
      // Settled here too, so a failure the test no longer awaits is not an unhandled rejection.
      deliveries.at(-1)!.catch(() => undefined);
    }
    return Promise.all(deliveries);
  })();
  done.catch(() => undefined);
  return { done, acked: () => acked };
}

/** Counts a connection's reconnects (to whichever node it finds next). */
function countReconnects(nc: NatsConnection): { count: number } {
  const seen = { count: 0 };
  void (async () => {
    for await (const status of nc.status()) if (status.type === 'reconnect') seen.count += 1;
  })();
  return seen;
}

/** BRAID_RAW as the cluster sees it, asked on a connection of its own (any running node answers). */
function rawStreamInfo(cluster: NatsCluster) {
  return askJetStream(cluster, (jsm) => jsm.streams.info(RAW_STREAM));
}

async function askJetStream<T>(cluster: NatsCluster, ask: (jsm: JetStreamManager) => Promise<T>): Promise<T> {
  const nc = await connect({ servers: cluster.urls.split(','), maxReconnectAttempts: -1 });
  try {
    return await ask(await nc.jetstreamManager());
  } finally {
    await nc.close();
  }
}
