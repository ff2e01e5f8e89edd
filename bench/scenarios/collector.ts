import { createProjectWithKeys } from '../../db/projects';
import { runCollectorLoad } from '../collector-load';
import type { BenchEnvironment } from '../harness/environment';
import { waitForDrain } from '../harness/drain';
import { round, type Percentiles } from '../harness/figures';
import { Pipeline, pipelineCpuMeter } from '../harness/pipeline';
import type { CpuProfile } from '../harness/proc-stats';

export interface CollectorOptions {
  seconds: number;
  connections: number;
  batch: number;
}

export interface CollectorReport {
  connections: number;
  eventsPerRequest: number;
  seconds: number;
  requests: number;
  acceptedEvents: number;
  /** Events the collector answered 200 for, per second of load. */
  eventsPerSecond: number;
  requestMs: Percentiles;
  statuses: Record<string, number>;
  networkErrors: number;
  /** Seconds from the end of the load until every accepted event was canonical. */
  queryableSecondsAfterLoad: number;
  /** Accepted events over the load plus that tail: end-to-end throughput. */
  endToEndEventsPerSecond: number;
  /** CPU during the load, in % of one core per process (bench = the load generator). */
  cpu: CpuProfile;
  peakRssMb: Record<string, number | null>;
}

/**
 * The HTTP collector (`braid api`) with worker and ingest beside it, run as
 * `braid up` runs them (worker and ingest at lower CPU priority): keep-alive
 * connections post Segment batches with a web write key for a while; then it
 * waits until everything accepted is queryable.
 */
export async function runCollector(env: BenchEnvironment, options: CollectorOptions): Promise<CollectorReport> {
  const projectId = `bench_collector_${env.runId}`;
  const created = await createProjectWithKeys(env.pool, { projectId, name: 'bench collector' });
  if (created.kind !== 'created') throw new Error(`project ${projectId} exists already`);
  const key = created.writeKeys.web as string;
  const pipeline = await Pipeline.start(env, { name: 'collector', projectId, kind: 'hosted', api: true, likeBraidUp: true });
  try {
    const cpu = pipelineCpuMeter(env, pipeline);
    await cpu.start();
    const load = await runCollectorLoad({ url: pipeline.httpUrl as string, key, seconds: options.seconds, connections: options.connections, batch: options.batch, gzip: false });
    const loadEndedAtMs = Date.now();
    const cpuDuringLoad = await cpu.stop();
    const drained = await waitForDrain(env, pipeline, { expectedCanonical: load.acceptedEvents });
    if (!drained) throw new Error('the collector load did not drain');
    const tailSeconds = (drained.atMs - loadEndedAtMs) / 1000;
    return {
      connections: load.connections,
      eventsPerRequest: load.eventsPerRequest,
      seconds: load.seconds,
      requests: load.requests,
      acceptedEvents: load.acceptedEvents,
      eventsPerSecond: load.eventsPerSecond,
      requestMs: { p50: load.latencyMs.p50, p99: load.latencyMs.p99 },
      statuses: load.statuses,
      networkErrors: load.networkErrors,
      queryableSecondsAfterLoad: round(tailSeconds),
      endToEndEventsPerSecond: Math.round(load.acceptedEvents / (load.seconds + tailSeconds)),
      cpu: cpuDuringLoad,
      peakRssMb: pipeline.peakRssMb(),
    };
  } finally {
    await pipeline.stop();
  }
}
