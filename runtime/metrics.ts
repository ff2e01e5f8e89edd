import { AggregatorRegistry, Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** A process's series as prom-client's getMetricsAsJSON gives them (what AggregatorRegistry merges). */
export type MetricsJson = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;
import type pg from 'pg';

/**
 * The process's Prometheus metrics: every braid process (api, ingest,
 * worker) counts what passes through it here, so a scrape reads memory and
 * never scans a table. Each series carries `process` (the role); `braid up`'s
 * API merges its children's series into its own `/metrics`.
 */
export const metricsRegistry = new Registry();

let initialised = false;

/** Names this process's series after its role and adds the Node runtime metrics; once per process. */
export function initProcessMetrics(role: string): void {
  if (initialised) return;
  initialised = true;
  metricsRegistry.setDefaultLabels({ process: role });
  collectDefaultMetrics({ register: metricsRegistry, prefix: 'braid_' });
}

/** Seconds, from 5 ms to 10 minutes: hand-offs are sub-second, consent holds and outages are minutes. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600];
/** Events per batch, up to the drain's 2000-row bound. */
const BATCH_BUCKETS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000];

export const ingestMessages = new Counter({
  name: 'braid_ingest_messages_total',
  help: 'Messages ingest decided, by project, channel and outcome (accepted | rejected), with the rejection reason',
  labelNames: ['project', 'channel', 'outcome', 'reason'],
  registers: [metricsRegistry],
});

export const ingestHandoffs = new Counter({
  name: 'braid_ingest_handoffs_total',
  help: 'Hand-offs of a group of events to its host workflow (staged rows + notice signal), by result (delivered | failed)',
  labelNames: ['result'],
  registers: [metricsRegistry],
});

export const ingestRedeliveries = new Counter({
  name: 'braid_ingest_redeliveries_total',
  help: 'Messages ingest gave back to JetStream for a later attempt (nak), by why',
  labelNames: ['reason'],
  registers: [metricsRegistry],
});

export const ingestGroupEvents = new Histogram({
  name: 'braid_ingest_group_events',
  help: 'Events per hand-off to a host workflow',
  buckets: BATCH_BUCKETS,
  registers: [metricsRegistry],
});

/** The stages an event goes through; `publish_to_queryable` is the whole way (the write commits it to the views). */
export const STAGES = ['publish_to_ingest', 'ingest_to_handoff', 'handoff_to_written', 'publish_to_queryable'] as const;
export type Stage = (typeof STAGES)[number];

export const stageLatency = new Histogram({
  name: 'braid_stage_latency_seconds',
  help: 'Seconds an event spent in a stage: publish_to_ingest, ingest_to_handoff, handoff_to_written, publish_to_queryable',
  labelNames: ['stage'],
  buckets: LATENCY_BUCKETS,
  registers: [metricsRegistry],
});

export const WORKER_OUTCOMES = ['written', 'duplicate', 'suppressed', 'held'] as const;

export const workerEvents = new Counter({
  name: 'braid_worker_events_total',
  help: 'Events the session hosts decided, by project and outcome (written | duplicate | suppressed | held: waiting for consent)',
  labelNames: ['project', 'outcome'],
  registers: [metricsRegistry],
});

export const drainEvents = new Histogram({
  name: 'braid_worker_drain_events',
  help: 'Staged events one drain transaction decided',
  buckets: BATCH_BUCKETS,
  registers: [metricsRegistry],
});

export const drainSeconds = new Histogram({
  name: 'braid_worker_drain_seconds',
  help: 'Seconds one drain transaction took',
  buckets: LATENCY_BUCKETS,
  registers: [metricsRegistry],
});

export const activityRetries = new Counter({
  name: 'braid_worker_activity_retries_total',
  help: 'Activity attempts after the first (Temporal retried them), by activity type',
  labelNames: ['activity'],
  registers: [metricsRegistry],
});

export const httpRequests = new Histogram({
  name: 'braid_http_request_duration_seconds',
  help: 'HTTP requests braid api answered, by route and status code',
  labelNames: ['method', 'route', 'status'],
  buckets: LATENCY_BUCKETS,
  registers: [metricsRegistry],
});

const poolsWatched: { name: string; pool: pg.Pool }[] = [];

new Gauge({
  name: 'braid_pg_pool_connections',
  help: 'Postgres pool connections by state: total, idle, waiting (clients queued for a connection)',
  labelNames: ['pool', 'state'],
  registers: [metricsRegistry],
  collect() {
    this.reset();
    for (const { name, pool } of poolsWatched) {
      this.set({ pool: name, state: 'total' }, pool.totalCount);
      this.set({ pool: name, state: 'idle' }, pool.idleCount);
      this.set({ pool: name, state: 'waiting' }, pool.waitingCount);
    }
  },
});

/** Reports a Postgres pool's use in braid_pg_pool_connections. */
export function watchPool(pool: pg.Pool, name = 'main'): void {
  if (!poolsWatched.some((p) => p.pool === pool)) poolsWatched.push({ name, pool });
}

/** Records how long ago (seconds) each timestamp was, for one stage. */
export function observeSince(stage: Stage, startedAtMs: readonly number[], nowMs = Date.now()): void {
  const h = stageLatency.labels({ stage });
  for (const t of startedAtMs) if (Number.isFinite(t)) h.observe(Math.max(0, nowMs - t) / 1000);
}

/** Metrics a process serves as JSON for another process to merge (`braid up`'s API merges its children's). */
export function metricsAsJson(): Promise<MetricsJson> {
  return metricsRegistry.getMetricsAsJSON() as Promise<MetricsJson>;
}

/**
 * This process's metrics followed by the given other processes' (as JSON from
 * metricsAsJson): one exposition where each series keeps its `process` label.
 * `extraText` is appended as is (the Temporal SDK's own metrics, already prefixed).
 */
export async function mergedMetricsText(peers: MetricsJson[], extraText: string[] = []): Promise<string> {
  const own = await metricsAsJson();
  const merged = peers.length === 0 ? metricsRegistry : AggregatorRegistry.aggregate([own, ...peers]);
  const text = await merged.metrics();
  return [text, ...extraText.filter((t) => t.trim().length > 0)].join('\n');
}

/** One sample of a Prometheus text exposition. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a Prometheus text exposition (comments skipped; label values unescaped). */
export function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m || line.startsWith('#')) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!.replace(/\\n/g, '\n').replace(/\\(["\\])/g, '$1');
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return samples;
}

/** The sum of a metric's samples whose labels include the given ones (across processes). */
export function sumSamples(text: string, name: string, labels: Record<string, string> = {}): number {
  return parseExposition(text)
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}
