import { createProject } from '../../db/projects';
import { rawSubject } from '../../contracts/wire';
import type { BenchEnvironment } from '../harness/environment';
import { waitForDrain } from '../harness/drain';
import { round, type Percentiles } from '../harness/figures';
import { publishToWrittenMsByStep } from '../harness/latency';
import { Pipeline, pipelineCpuMeter } from '../harness/pipeline';
import { PostgresActivitySampler } from '../harness/postgres-activity';
import type { CpuProfile } from '../harness/proc-stats';
import { LATE_MS, publishAtRate } from '../harness/publisher';
import type { BenchMessage } from '../workload';

export interface TrickleOptions {
  /** Events per second, one step each, in this order. */
  rates: number[];
  seconds: number;
  devices: number;
}

export interface TrickleStep {
  rate: number;
  scheduled: number;
  /** Acked by JetStream. */
  published: number;
  failedPublishes: number;
  /** Events the publisher sent more than LATE_MS after their slot (it fell behind), and its worst lag. */
  publisherLate: number;
  publisherMaxLagMs: number;
  /** Drained (nothing in flight, all canonical) within KEEP_UP_S of the step's end. */
  keptUp: boolean;
  /** Seconds from the step's last ack until drained; null when it did not drain within DRAIN_LIMIT_S. */
  drainSeconds: number | null;
  publishToQueryableMs: Percentiles | null;
  /** CPU while the step published, in % of one core per process (postgres: the bench database's backends). */
  cpu: CpuProfile;
  /** Average active Postgres backends of the bench database while the step published, by what they were doing. */
  postgresActiveBackends: Record<string, number>;
}

export interface TrickleReport {
  devices: number;
  devicesUsed: number;
  stepSeconds: number;
  steps: TrickleStep[];
  /** Rates not run because a lower one did not keep up (a higher one cannot either). */
  skippedRates: number[];
  /** Highest rate whose step kept up. */
  maxRateKeptUp: number | null;
  at1600: Percentiles | null;
  /** Peak resident memory (VmHWM) over the trickle; each process was started for it. */
  peakRssMb: Record<string, number | null>;
  history: { runs: number; events: number; bytes: number; eventsPerCanonicalEvent: number; bytesPerCanonicalEvent: number } | null;
  measures: Record<string, string>;
}

/** A step keeps up when its backlog drains within this long after its end. */
const KEEP_UP_S = 10;
/** How long after a step's end the trickle waits for its backlog to drain at most. */
const DRAIN_LIMIT_S = 60;
/** Unacknowledged publishes the open-loop publisher allows. */
const MAX_IN_FLIGHT = 4096;
const CHANNELS = ['web', 'mobile', 'backend'] as const;

/**
 * Sustained open-loop load on the hosted pipeline: events from random devices
 * (of `devices`; timestamps now) published on a fixed schedule whatever the
 * acks, stepping the rate up. After each step it waits for the backlog to
 * drain before the next one starts; after a step that did not keep up, the
 * higher rates are skipped.
 */
export async function runTrickle(env: BenchEnvironment, options: TrickleOptions): Promise<TrickleReport> {
  const projectId = `bench_trickle_${env.runId}`;
  await createProject(env.pool, { projectId, name: 'bench trickle' });
  const pipeline = await Pipeline.start(env, { name: 'trickle', projectId, kind: 'hosted' });
  try {
    const devicesUsed = new Set<number>();
    const cpu = pipelineCpuMeter(env, pipeline);
    const postgres = new PostgresActivitySampler(env.pool);
    const steps: Omit<TrickleStep, 'publishToQueryableMs'>[] = [];
    let canonical = 0;
    for (const [index, rate] of options.rates.entries()) {
      console.error(`bench: trickle ${rate} events/s for ${options.seconds} s…`);
      await cpu.start();
      postgres.start();
      const published = await publishAtRate(env.js, {
        rate,
        seconds: options.seconds,
        maxInFlight: MAX_IN_FLIGHT,
        message: (i, sentAtMs) => {
          const device = Math.floor(Math.random() * options.devices);
          devicesUsed.add(device);
          return trickleEvent(projectId, env.runId, index, i, device, sentAtMs);
        },
      });
      const cpuProfile = await cpu.stop();
      const postgresActiveBackends = await postgres.stop();
      canonical += published.published;
      const drained = await waitForDrain(env, pipeline, { expectedCanonical: canonical, deadlineMs: published.endedAtMs + DRAIN_LIMIT_S * 1000 });
      const drainSeconds = drained ? round(Math.max(0, drained.atMs - published.endedAtMs) / 1000) : null;
      steps.push({
        rate,
        scheduled: published.scheduled,
        published: published.published,
        failedPublishes: published.failed,
        publisherLate: published.late,
        publisherMaxLagMs: published.maxLagMs,
        keptUp: drainSeconds !== null && drainSeconds <= KEEP_UP_S,
        drainSeconds,
        cpu: cpuProfile,
        postgresActiveBackends,
      });
      console.error(`bench: trickle ${rate} events/s: ${drainSeconds === null ? 'not drained' : `drained ${drainSeconds} s after the step`}`);
      if (!steps.at(-1)?.keptUp) break;
    }
    const latencies = await publishToWrittenMsByStep(env.pool, projectId);
    const withLatency = steps.map((step, i) => ({ ...step, publishToQueryableMs: latencies.get(i) ?? null }));
    const history = await pipeline.history();
    const kept = withLatency.filter((s) => s.keptUp).map((s) => s.rate);
    return {
      devices: options.devices,
      devicesUsed: devicesUsed.size,
      stepSeconds: options.seconds,
      steps: withLatency,
      skippedRates: options.rates.slice(steps.length),
      maxRateKeptUp: kept.length > 0 ? Math.max(...kept) : null,
      at1600: withLatency.find((s) => s.rate === 1600)?.publishToQueryableMs ?? null,
      peakRssMb: pipeline.peakRssMb(),
      history: history && {
        ...history,
        eventsPerCanonicalEvent: round(history.events / Math.max(1, canonical), 4),
        bytesPerCanonicalEvent: round(history.bytes / Math.max(1, canonical), 1),
      },
      measures: {
        publishToQueryableMs: 'analytics.events.written_at (when the writing transaction began) minus properties.publishedAtMs (when the bench handed the event to JetStream)',
        keptUp: `accounting in-flight 0 and every published event canonical within ${KEEP_UP_S} s of the step's last ack`,
        publisherLate: `events sent more than ${LATE_MS} ms after their open-loop slot`,
        cpu: 'CPU seconds per process over the step / step seconds, in % of one core; postgres = backends of the bench database; machineBusyPct = all cores',
        postgresActiveBackends: "pg_stat_activity sampled every 250 ms: average active backends of the bench database, by wait event ('CPU' = no wait)",
      },
    };
  } finally {
    await pipeline.stop();
  }
}

function trickleEvent(projectId: string, runId: string, step: number, i: number, device: number, sentAtMs: number): BenchMessage {
  const channel = CHANNELS[device % CHANNELS.length] as string;
  const messageId = `${projectId}-${step}-${i}`;
  const at = new Date(sentAtMs).toISOString();
  const ids = channel === 'backend' ? { userId: `${runId}-user-${device}` } : { anonymousId: `${runId}-device-${device}` };
  const payload = {
    type: 'track',
    messageId,
    ...ids,
    event: 'Product Viewed',
    timestamp: at,
    sentAt: at,
    properties: { publishedAtMs: sentAtMs, step, sku: `sku-${i % 97}`, price: 9.99 },
    context: { userAgent: 'bench/1.0', consent: { categoryPreferences: { analytics: true } } },
  };
  return { subject: rawSubject(projectId, channel), data: JSON.stringify(payload), msgId: messageId };
}
