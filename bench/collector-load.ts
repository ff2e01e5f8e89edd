/**
 * Load for the HTTP collector, from its own process: keep-alive connections
 * sending Segment-style batches to a running braid (`braid up` or `braid
 * api`) for a fixed time, then one JSON line with events/s, requests/s and
 * request latency percentiles. Not a test: nothing here asserts.
 *
 *   npx tsx bench/collector-load.ts --url http://127.0.0.1:8080 --admin-token <token> \
 *     [--key <writeKey>] [--seconds 20] [--connections 16] [--batch 50] [--gzip] [--drain]
 *
 * With --admin-token (or BRAID_ADMIN_TOKEN, or the token `braid up` saved under
 * BRAID_STATE_DIR) it creates a fresh project and uses its web write key;
 * --drain then waits until braid has written every accepted event and
 * reports how long that took. Traffic goes to the given URL only: point it at
 * loopback. `braid bench` runs the same load (runCollectorLoad) in its
 * collector scenario.
 */
import { sumSamples } from '../runtime/metrics';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';

interface Options {
  url: string;
  key?: string;
  adminToken?: string;
  seconds: number;
  connections: number;
  batch: number;
  gzip: boolean;
  drain: boolean;
}

function parseArgs(argv: string[]): Options {
  const get = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const tokenFile = join(resolve(process.env.BRAID_STATE_DIR || '.braid'), 'admin-token');
  const options: Options = {
    url: get('url') ?? `http://127.0.0.1:${process.env.BRAID_HTTP_PORT ?? 8080}`,
    key: get('key'),
    adminToken: get('admin-token') ?? process.env.BRAID_ADMIN_TOKEN ?? (existsSync(tokenFile) ? readFileSync(tokenFile, 'utf8').trim() : undefined),
    seconds: Number(get('seconds') ?? 20),
    connections: Number(get('connections') ?? 16),
    batch: Number(get('batch') ?? 50),
    gzip: argv.includes('--gzip'),
    drain: argv.includes('--drain'),
  };
  const host = new URL(options.url).hostname;
  if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host)) throw new Error(`--url must be on loopback, not ${host}`);
  if (!(options.seconds > 0 && options.seconds <= 600)) throw new Error('--seconds must be in (0, 600]');
  if (!(options.connections >= 1 && options.connections <= 512)) throw new Error('--connections must be in [1, 512]');
  if (!(options.batch >= 1 && options.batch <= 500)) throw new Error('--batch must be in [1, 500]');
  return options;
}

interface Reply {
  status: number;
  body: string;
}

function send(agent: Agent, url: URL, path: string, headers: Record<string, string>, body: Buffer | string): Promise<Reply> {
  return new Promise((resolveReply, reject) => {
    const req = request({ agent, hostname: url.hostname, port: url.port, path, method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolveReply({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function api(url: string, token: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

/** What one load run sends: where, with which write key, how hard and for how long. */
export interface LoadOptions {
  url: string;
  key: string;
  seconds: number;
  connections: number;
  batch: number;
  gzip: boolean;
}

export interface LoadResult {
  url: string;
  path: string;
  connections: number;
  eventsPerRequest: number;
  gzip: boolean;
  seconds: number;
  requests: number;
  acceptedEvents: number;
  eventsPerSecond: number;
  requestsPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  statuses: Record<string, number>;
  networkErrors: number;
}

/**
 * Keep-alive connections, each sending one request after another (a new
 * body each time) until the time is up. Events count as accepted when their
 * request got 200; 429 and 503 make that connection wait 200 ms.
 */
export async function runCollectorLoad(options: LoadOptions): Promise<LoadResult> {
  const base = new URL(options.url);
  const runId = randomBytes(4).toString('hex');
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections });
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    authorization: `Basic ${Buffer.from(`${options.key}:`).toString('base64')}`,
    ...(options.gzip ? { 'content-encoding': 'gzip' } : {}),
  };
  const path = options.batch === 1 ? '/v1/track' : '/v1/batch';
  let sequence = 0;
  const makeBody = (): Buffer | string => {
    const sentAt = new Date().toISOString();
    const events = Array.from({ length: options.batch }, () => {
      sequence += 1;
      const device = sequence % 2000;
      return {
        type: 'track',
        messageId: `${runId}-${sequence}`,
        anonymousId: `load-${runId}-${device}`,
        event: 'Product Viewed',
        properties: { sku: `sku-${sequence % 97}`, price: 19.99, position: sequence % 10 },
        context: { library: { name: 'collector-load', version: '1' }, page: { path: '/products' }, userAgent: 'collector-load/1' },
        timestamp: sentAt,
      };
    });
    const json = JSON.stringify(options.batch === 1 ? { ...events[0], sentAt } : { batch: events, sentAt });
    return options.gzip ? gzipSync(json) : json;
  };

  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  let acceptedEvents = 0;
  let errors = 0;
  const started = performance.now();
  const deadline = started + options.seconds * 1000;
  const workers = Array.from({ length: options.connections }, async () => {
    while (performance.now() < deadline) {
      const body = makeBody();
      const t0 = performance.now();
      try {
        const reply = await send(agent, base, path, headers, body);
        latencies.push(performance.now() - t0);
        statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
        if (reply.status === 200) acceptedEvents += options.batch;
        else if (reply.status === 429 || reply.status === 503) await new Promise((r) => setTimeout(r, 200));
      } catch {
        errors += 1;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  });
  await Promise.all(workers);
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();

  latencies.sort((a, b) => a - b);
  return {
    url: options.url,
    path,
    connections: options.connections,
    eventsPerRequest: options.batch,
    gzip: options.gzip,
    seconds: round(seconds),
    requests: latencies.length,
    acceptedEvents,
    eventsPerSecond: Math.round(acceptedEvents / seconds),
    requestsPerSecond: round(latencies.length / seconds),
    latencyMs: { p50: round(percentile(latencies, 50)), p90: round(percentile(latencies, 90)), p99: round(percentile(latencies, 99)), max: round(latencies.at(-1) ?? 0) },
    statuses: Object.fromEntries(statuses),
    networkErrors: errors,
  };
}

const round = (n: number) => Math.round(n * 100) / 100;

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  let projectId: string | null = null;
  let key = options.key;
  if (!key) {
    if (!options.adminToken) throw new Error('give --key, or --admin-token (or BRAID_ADMIN_TOKEN) to create a project');
    projectId = `collector_load_${randomBytes(4).toString('hex')}`;
    const made = await api(options.url, options.adminToken, 'POST', '/api/projects', { projectId, name: 'collector load', namingConvention: 'any' });
    if (made.status !== 201) throw new Error(`creating the project failed: ${made.status} ${JSON.stringify(made.body)}`);
    key = (made.body.writeKeys as Record<string, string>).web as string;
  }

  const load = await runCollectorLoad({ ...options, key });
  const result: Record<string, unknown> = { ...load, projectId };

  if (options.drain && projectId && options.adminToken) {
    // How long until braid has written what the collector accepted (ingest + workflows + Postgres).
    const drainStart = performance.now();
    const limit = drainStart + 600_000;
    for (;;) {
      const status = await fetch(`${options.url}/metrics`).then((r) => r.text());
      const canonical = sumSamples(status, 'braid_worker_events_total', { project: projectId, outcome: 'written' });
      if (canonical >= load.acceptedEvents || performance.now() > limit) {
        result.drain = { canonical, secondsAfterLoad: round((performance.now() - drainStart) / 1000) };
        break;
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  console.log(JSON.stringify(result));
}

// A script of its own (`npx tsx bench/collector-load.ts …`); `braid bench` imports runCollectorLoad.
if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
