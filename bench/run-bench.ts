import { cpus, loadavg } from 'node:os';
import { evaluateGoals } from './goals';
import { startEnvironment, type BenchEnvironment } from './harness/environment';
import { loadBenchOptions, type BenchOptions, type Scenario } from './options';
import { runBurst, type BurstReport } from './scenarios/burst';
import { runCollector, type CollectorReport } from './scenarios/collector';
import { runOneDevice, type OneDeviceReport } from './scenarios/one-device';
import { runSynth, type SynthBenchReport } from './scenarios/synth';
import { runTrickle, type TrickleReport } from './scenarios/trickle';

interface Results {
  burst?: BurstReport;
  trickle?: TrickleReport;
  oneDevice?: OneDeviceReport;
  collector?: CollectorReport;
  synth?: SynthBenchReport;
}

const SCENARIO_RUNNERS: { [S in Scenario]: (env: BenchEnvironment, options: BenchOptions) => Promise<Results[S]> } = {
  burst: (env, o) => runBurst(env, o.burst),
  trickle: (env, o) => runTrickle(env, o.trickle),
  oneDevice: (env, o) => runOneDevice(env, o.oneDevice),
  collector: (env, o) => runCollector(env, o.collector),
  synth: (env, o) => runSynth(env, o.synth),
};

/**
 * `npm run bench`: braid on the real services of this machine, every part a
 * process of its own, the scenarios of BENCH_SCENARIOS in order (default:
 * burst, trickle, oneDevice, collector, synth). Progress goes to stderr;
 * stdout gets one JSON line with every figure of the run, the goals they
 * decide, and the errors of scenarios that failed; it exits 1 after a failed
 * scenario or a wrong result (burst accounting, synth figures). Compare
 * ratios rather than absolute numbers across machines: these machines are
 * noisy.
 */
export async function runBench(): Promise<void> {
  const options = loadBenchOptions();
  const startedAt = new Date();
  const machine = { cpus: cpus().length, loadAverageAtStart: loadavg().map((l) => Math.round(l * 100) / 100) };
  console.error(`bench: scenarios ${options.scenarios.join(', ')}; preparing a scratch database, NATS and the workflow bundle…`);
  const { env, stop } = await startEnvironment();
  const onSignal = (signal: NodeJS.Signals) => {
    console.error(`bench: ${signal}; cleaning up`);
    void stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const results: Results = {};
  const errors: Partial<Record<Scenario, string>> = {};
  try {
    for (const scenario of options.scenarios) {
      const started = Date.now();
      try {
        Object.assign(results, { [scenario]: await SCENARIO_RUNNERS[scenario](env, options) });
      } catch (error) {
        errors[scenario] = String((error as Error)?.message ?? error);
        console.error(`bench: ${scenario} failed: ${(error as Error)?.stack ?? String(error)}`);
      }
      console.error(`bench: ${scenario} took ${Math.round((Date.now() - started) / 1000)} s`);
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await stop();
  }
  console.log(
    JSON.stringify({
      bench: 'braid',
      at: startedAt.toISOString(),
      runId: env.runId,
      seconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
      machine: { ...machine, loadAverageAtEnd: loadavg().map((l) => Math.round(l * 100) / 100) },
      scenarios: options.scenarios,
      settings: options,
      goals: evaluateGoals(results),
      ...results,
      ...(Object.keys(errors).length > 0 ? { errors } : {}),
    }),
  );
  if (Object.keys(errors).length > 0 || results.burst?.errors || results.synth?.matched === false) process.exitCode = 1;
}
