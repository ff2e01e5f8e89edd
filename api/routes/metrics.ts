import { AggregatorRegistry, Gauge, Registry } from 'prom-client';
import { z } from 'zod';
import { RAW_STREAM } from '../../contracts/wire';
import { metricsAsJson, type MetricsJson } from '../../runtime/metrics';
import { fetchPeerMetrics } from '../../runtime/metrics-server';
import type { ApiDeps } from '../deps';
import type { ApiApp } from '../typed-routes';

/**
 * Prometheus metrics, read from memory and JetStream only (no table scans):
 * this process's counters and histograms (runtime/metrics.ts: in a process
 * that also runs ingest and a worker, theirs too), the ingest backlog as
 * JetStream reports it, and the series of the processes named in
 * BRAID_METRICS_PEERS (`braid up` names its worker and ingest), each series
 * labelled with its `process`.
 */
export function metricsRoutes(app: ApiApp, deps: ApiDeps): void {
  const backlog = new Registry();

  new Gauge({
    name: 'braid_ingest_consumer_pending',
    help: 'Messages in BRAID_RAW not yet delivered to an ingest consumer (lag)',
    labelNames: ['consumer'],
    registers: [backlog],
    async collect() {
      this.reset();
      const jsm = await deps.nc.jetstreamManager();
      for await (const c of jsm.consumers.list(RAW_STREAM)) this.set({ consumer: c.name }, c.num_pending);
    },
  });

  new Gauge({
    name: 'braid_ingest_consumer_ack_pending',
    help: 'Messages delivered to an ingest consumer and not yet acknowledged',
    labelNames: ['consumer'],
    registers: [backlog],
    async collect() {
      this.reset();
      const jsm = await deps.nc.jetstreamManager();
      for await (const c of jsm.consumers.list(RAW_STREAM)) this.set({ consumer: c.name }, c.num_ack_pending);
    },
  });

  const peers = deps.metricsPeers ?? [];
  app.route({
    method: 'GET',
    url: '/metrics',
    logLevel: 'warn',
    config: { roles: 'public' },
    schema: {
      summary: 'Prometheus metrics',
      response: { 200: { description: 'text exposition format', content: { 'text/plain': { schema: z.string() } } } },
    },
    handler: async (_request, reply) => {
      const fromPeers = (await Promise.all(peers.map((url) => fetchPeerMetrics(url)))).flatMap((p) => (p ? [p] : []));
      const series: MetricsJson[] = [await metricsAsJson(), (await backlog.getMetricsAsJSON()) as MetricsJson, ...fromPeers.map((p) => p.metrics)];
      const text = await AggregatorRegistry.aggregate(series).metrics();
      reply.header('content-type', backlog.contentType);
      return [text, ...fromPeers.flatMap((p) => p.text).filter((t) => t.trim().length > 0)].join('\n');
    },
  });
}
