import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { RAW_STREAM } from '../../contracts/wire';
import type { ApiDeps } from '../deps';
import type { RouteTable } from '../route-table';

/**
 * Prometheus metrics. Event counts come from Postgres at scrape time, so
 * every API replica reports the same numbers however many ingest and worker
 * processes run; consumer lag comes from JetStream; batch sizes from lineage
 * (rows written by one session workflow in one transaction share run id and
 * written time).
 */
export function metricsRoutes(routes: RouteTable, deps: ApiDeps): void {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'braid_api_' });

  new Gauge({
    name: 'braid_events',
    help: 'Messages per project, channel and outcome since the project began (accepted = canonical + rejected + suppressed + duplicates once drained)',
    labelNames: ['project', 'channel', 'outcome'],
    registers: [registry],
    async collect() {
      this.reset();
      const res = await deps.pool.query<{ project_id: string; channel: string | null; outcome: string; n: number }>(`
        SELECT project_id, channel, 'accepted' AS outcome, count(*)::bigint AS n FROM braid.receipts WHERE project_id IS NOT NULL GROUP BY 1, 2
        UNION ALL SELECT project_id, channel, 'canonical', count(*) FROM braid.canonical_events GROUP BY 1, 2
        UNION ALL SELECT project_id, channel, 'rejected', count(*) FROM braid.rejected_events WHERE project_id IS NOT NULL AND resolved_at IS NULL GROUP BY 1, 2
        UNION ALL SELECT project_id, channel, 'duplicates', count(*) FROM braid.duplicates GROUP BY 1, 2`);
      for (const r of res.rows) this.set({ project: r.project_id, channel: r.channel ?? '', outcome: r.outcome }, r.n);
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
      const res = await deps.pool.query<{ p50: number | null; p90: number | null; p99: number | null }>(`
        SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY n) AS p50, percentile_cont(0.9) WITHIN GROUP (ORDER BY n) AS p90,
               percentile_cont(0.99) WITHIN GROUP (ORDER BY n) AS p99
        FROM (SELECT count(*) AS n FROM braid.lineage WHERE written_at > now() - interval '15 minutes' AND replay_id IS NULL
                AND backfill_id IS NULL AND workflow_id LIKE 'session:%' GROUP BY run_id, written_at) drains`);
      const row = res.rows[0];
      for (const q of ['p50', 'p90', 'p99'] as const) if (row?.[q] != null) this.set({ quantile: `0.${q.slice(1)}` }, Number(row[q]));
    },
  });

  routes.add({
    method: 'GET',
    url: '/metrics',
    summary: 'Prometheus metrics',
    roles: 'public',
    responses: { 200: 'text exposition format' },
    handler: async ({ reply }) => {
      reply.header('content-type', registry.contentType);
      return registry.metrics();
    },
  });
}
