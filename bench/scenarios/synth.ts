import { publishOverNats } from '../../runtime/synth-publisher';
import type { SynthFigures } from '../../contracts/synth';
import { createProject } from '../../db/projects';
import { funnelQueryOf, synthFigures } from '../../db/synth-figures';
import { compareFigures, type FigureDifference } from '../../rules/synth-comparison';
import { expectOutcome } from '../../rules/synth-expectation';
import { generateTraffic } from '../../rules/synth-traffic';
import type { BenchEnvironment } from '../harness/environment';
import { waitForDrain } from '../harness/drain';
import { round, type Percentiles } from '../harness/figures';
import { receivedToWrittenMs } from '../harness/latency';
import { Pipeline } from '../harness/pipeline';

export interface SynthBenchOptions {
  /** Messages to publish, retries and malformed ones included (`braid synth run --events`). */
  events: number;
  seed: number;
}

export interface SynthBenchReport {
  seed: number;
  /** Messages JetStream acked. */
  published: number;
  /** Of those, acked as duplicates of a Nats-Msg-Id the stream already had (0 on the run's own NATS): never accepted. */
  streamDuplicates: number;
  /** From the first publish until the last one was acked. */
  publishSeconds: number;
  /** From the first publish until every accepted message was accounted for. */
  seconds: number;
  /** Published messages over `seconds`. */
  eventsPerSecond: number;
  /** received_at → written_at of the canonical events (JetStream stored it → its write began). */
  receivedToWrittenMs: Percentiles;
  /** analytics.accounting once drained. */
  accounting: SynthFigures['accounting'];
  /** Every figure `braid synth verify` compares agrees with the expectation of the seed. */
  matched: boolean;
  /** The figures that differ, as `braid synth verify --json` lists them. */
  differences: FigureDifference[];
  history: { runs: number; events: number; bytes: number; eventsPerCanonicalEvent: number; bytesPerCanonicalEvent: number } | null;
  peakRssMb: Record<string, number | null>;
}

/**
 * `braid synth` traffic of a seed (personas on web, mobile and backend,
 * sessions, funnel, identify, consent, skewed clocks, late sessions,
 * retries, malformed events) published as fast as acks come into a new
 * project on the hosted pipeline. Throughput is every published message over
 * the time from the first publish until all are accounted for; then the
 * analyst views are compared with what braid's rules make of the traffic.
 */
export async function runSynth(env: BenchEnvironment, options: SynthBenchOptions): Promise<SynthBenchReport> {
  const projectId = `bench_synth_${env.runId}`;
  await createProject(env.pool, { projectId, name: 'bench synth' });
  const pipeline = await Pipeline.start(env, { name: 'synth', projectId, kind: 'hosted' });
  try {
    const traffic = generateTraffic({ seed: options.seed, events: options.events, anchorMs: Date.now() });
    const expected = expectOutcome(traffic, projectId, 'nats').figures;
    console.error(`bench: synth ${options.events} events of seed ${options.seed}…`);
    const startedAtMs = Date.now();
    const published = await publishOverNats(env.nc, projectId, traffic.messages, { label: 'bench synth' });
    const publishSeconds = (Date.now() - startedAtMs) / 1000;
    // Drained: nothing pending, staged or in flight. Whether the right events were written is the comparison's to say.
    const drained = await waitForDrain(env, pipeline, { expectedCanonical: 0 });
    if (!drained) throw new Error('the synthetic traffic did not drain');
    const seconds = (drained.atMs - startedAtMs) / 1000;
    const actual = await synthFigures(env.pool, projectId, funnelQueryOf(traffic.funnel));
    const differences = compareFigures(expected, actual);
    console.error(`bench: synth: ${Math.round(published.sent / seconds)} events/s; ${differences.length === 0 ? 'matches the expectation' : `${differences.length} figures differ from the expectation`}`);
    const history = await pipeline.history();
    const canonical = actual.accounting.canonical;
    return {
      seed: options.seed,
      published: published.sent,
      streamDuplicates: published.streamDuplicates,
      publishSeconds: round(publishSeconds),
      seconds: round(seconds),
      eventsPerSecond: Math.round(published.sent / seconds),
      receivedToWrittenMs: await receivedToWrittenMs(env.pool, projectId),
      accounting: actual.accounting,
      matched: differences.length === 0,
      differences,
      history: history && {
        ...history,
        eventsPerCanonicalEvent: round(history.events / Math.max(1, canonical), 4),
        bytesPerCanonicalEvent: round(history.bytes / Math.max(1, canonical), 1),
      },
      peakRssMb: pipeline.peakRssMb(),
    };
  } finally {
    await pipeline.stop();
  }
}
