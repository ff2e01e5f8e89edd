import { getAccounting } from '../../db/accounting';
import { createProject } from '../../db/projects';
import type { BenchEnvironment } from '../harness/environment';
import { waitForDrain } from '../harness/drain';
import { ratio, round, type Percentiles } from '../harness/figures';
import { receivedToWrittenMs } from '../harness/latency';
import { Pipeline, type PipelineKind } from '../harness/pipeline';
import { publishAll } from '../harness/publisher';
import type { BurstVariant } from '../options';
import { buildWorkload, type WorkloadShape } from '../workload';

export interface BurstOptions {
  events: number;
  sessions: number;
  variants: BurstVariant[];
  /** A variant not drained after this long is measured as far as it got. */
  maxSeconds: number;
}

export interface BurstVariantReport {
  /** Everything accounted for within maxSeconds; when false, the figures cover what was written by then and the accounting was not checked. */
  drained: boolean;
  published: number;
  canonical: number;
  rejected: number;
  duplicates: number;
  seconds: number;
  eventsPerSecond: number;
  /** received_at → written_at (JetStream stored it → its write began). */
  latencyMs: Percentiles;
  /** Temporal history over every run on the variant's task queue; null for raw. */
  history: { runs: number; events: number; bytes: number; eventsPerCanonicalEvent: number; bytesPerCanonicalEvent: number } | null;
  peakRssMb: Record<string, number | null>;
}

export interface BurstReport {
  workload: { events: number; sessions: number; eventsPerSession: number; channels: number; expected: { canonical: number; rejected: number; duplicates: number } };
  variants: Partial<Record<BurstVariant, BurstVariantReport>>;
  hostedVsRaw: number | null;
  perDeviceVsRaw: number | null;
  /** Variants that failed, with why. */
  errors?: Partial<Record<BurstVariant, string>>;
}

const KIND: Record<BurstVariant, PipelineKind> = { hosted: 'hosted', perDevice: 'per-device', raw: 'raw' };

/**
 * The burst: one publisher with many acks in flight sends the multi-channel
 * workload (thousands of interleaved sessions on web, mobile and backend,
 * identify and alias mid-session, a few malformed events and client retries)
 * through each variant in turn, each in processes of its own. Throughput is
 * canonical events over the time from the first publish until everything is
 * accounted for; the accounting must match what the workload expects. A
 * variant not drained after `maxSeconds` is measured as far as it got.
 */
export async function runBurst(env: BenchEnvironment, options: BurstOptions): Promise<BurstReport> {
  const eventsPerSession = Math.max(1, Math.round(options.events / options.sessions));
  const shape = { sessions: options.sessions, eventsPerSession };
  const variants: BurstReport['variants'] = {};
  let expected = { canonical: 0, rejected: 0, duplicates: 0 };
  const errors: BurstReport['errors'] = {};
  for (const variant of options.variants) {
    console.error(`bench: burst ${variant}…`);
    try {
      const { report, workloadExpects } = await runVariant(env, variant, shape, options.maxSeconds);
      variants[variant] = report;
      expected = workloadExpects;
      console.error(`bench: burst ${variant}: ${report.eventsPerSecond} events/s`);
    } catch (error) {
      errors[variant] = String((error as Error)?.message ?? error);
      console.error(`bench: burst ${variant} failed: ${(error as Error)?.stack ?? String(error)}`);
    }
  }
  const raw = variants.raw?.eventsPerSecond ?? 0;
  return {
    workload: { events: shape.sessions * eventsPerSession, sessions: shape.sessions, eventsPerSession, channels: 3, expected },
    variants,
    hostedVsRaw: variants.hosted ? ratio(variants.hosted.eventsPerSecond, raw) : null,
    perDeviceVsRaw: variants.perDevice ? ratio(variants.perDevice.eventsPerSecond, raw) : null,
    ...(Object.keys(errors).length > 0 ? { errors } : {}),
  };
}

async function runVariant(env: BenchEnvironment, variant: BurstVariant, shape: WorkloadShape, maxSeconds: number) {
  const projectId = `bench_burst_${variant.toLowerCase()}_${env.runId}`;
  await createProject(env.pool, { projectId, name: `bench burst ${variant}` });
  const pipeline = await Pipeline.start(env, { name: `burst-${variant.toLowerCase()}`, projectId, kind: KIND[variant] });
  try {
    const workload = buildWorkload(projectId, env.runId, shape, Date.now());
    const workloadExpects = { canonical: workload.expectedCanonical, rejected: workload.expectedRejected, duplicates: workload.expectedDuplicates };
    const startedAtMs = Date.now();
    const published = await publishAll(env.js, workload.messages);
    const drained = await waitForDrain(env, pipeline, { expectedCanonical: workload.expectedCanonical, deadlineMs: startedAtMs + maxSeconds * 1000 });
    const endedAtMs = drained?.atMs ?? Date.now();
    const accounting = drained?.accounting ?? (await getAccounting(env.pool, projectId))[0];
    if (!accounting) throw new Error('nothing was accounted for');
    const { canonical, rejected, duplicates } = accounting;
    if (drained && (canonical !== workloadExpects.canonical || rejected !== workloadExpects.rejected || duplicates !== workloadExpects.duplicates)) {
      throw new Error(`accounting ${JSON.stringify(accounting)} differs from the workload's ${JSON.stringify(workloadExpects)}`);
    }
    if (!drained) console.error(`bench: burst ${variant} had not drained after ${maxSeconds} s; measuring what it wrote by then`);
    const seconds = (endedAtMs - startedAtMs) / 1000;
    const history = await pipeline.history();
    const report: BurstVariantReport = {
      drained: drained !== null,
      published,
      canonical,
      rejected,
      duplicates,
      seconds: round(seconds),
      eventsPerSecond: Math.round(canonical / seconds),
      latencyMs: await receivedToWrittenMs(env.pool, projectId),
      history: history && {
        ...history,
        eventsPerCanonicalEvent: round(history.events / Math.max(1, canonical), 4),
        bytesPerCanonicalEvent: round(history.bytes / Math.max(1, canonical), 1),
      },
      peakRssMb: pipeline.peakRssMb(),
    };
    return { report, workloadExpects };
  } finally {
    await pipeline.stop();
  }
}
