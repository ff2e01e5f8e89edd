import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { z } from 'zod';
import { RAW_STREAM } from '../../contracts/wire';
import { getAccounting } from '../../db/accounting';
import { recentDrainSizes } from '../../db/drain-sizes';
import type { ApiDeps } from '../deps';
import type { ApiApp } from '../typed-routes';

const ACCOUNTING_OUTCOMES = ['accepted', 'canonical', 'rejected', 'suppressed', 'duplicates'] as const;

/**
 * Prometheus metrics. Event counts are analytics.accounting's, read at scrape
 * time, so every API replica reports the same numbers as the view however
 * many ingest and worker processes run; consumer lag comes from JetStream;
 * batch sizes from lineage (db/drain-sizes.ts).
 */
export function metricsRoutes(app: ApiApp, deps: ApiDeps): void {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'braid_api_' });

  new Gauge({
    name: 'braid_events',
    help: 'Messages per project and outcome since the project began, as analytics.accounting counts them (accepted = canonical + rejected + suppressed + duplicates once drained)',
    labelNames: ['project', 'outcome'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const row of await getAccounting(deps.pool)) {
        for (const outcome of ACCOUNTING_OUTCOMES) this.set({ project: row.projectId, outcome }, row[outcome]);
      }
    },
  });

  new Gauge({
    name: 'braid_ingest_consumer_pending',
    help: 'Messages in BRAID_RAW not yet delivered to an ingest consumer (lag)',
    labelNames: ['consumer'],
    registers: [registry],
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
    registers: [registry],
    async collect() {
      this.reset();
      const jsm = await deps.nc.jetstreamManager();
      for await (const c of jsm.consumers.list(RAW_STREAM)) this.set({ consumer: c.name }, c.num_ack_pending);
    },
  });

  new Gauge({
    name: 'braid_session_batch_events',
    help: 'Events written per session workflow transaction over the last 15 minutes (quantiles)',
    labelNames: ['quantile'],
    registers: [registry],
    async collect() {
      this.reset();
      const row = await recentDrainSizes(deps.pool);
      for (const q of ['p50', 'p90', 'p99'] as const) if (row[q] !== null) this.set({ quantile: `0.${q.slice(1)}` }, row[q]);
    },
  });

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
      reply.header('content-type', registry.contentType);
      return registry.metrics();
    },
  });
}
