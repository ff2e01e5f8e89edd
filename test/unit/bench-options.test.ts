import { describe, expect, it } from 'vitest';
import { evaluateGoals } from '../../bench/goals';
import { loadBenchOptions } from '../../bench/options';
import type { BurstReport } from '../../bench/scenarios/burst';
import type { TrickleReport } from '../../bench/scenarios/trickle';
import { ConfigError } from '../../runtime/config';

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadBenchOptions(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected loadBenchOptions to fail');
}

describe('loadBenchOptions', () => {
  it('runs every scenario at the issue’s sizes by default', () => {
    expect(loadBenchOptions({})).toEqual({
      scenarios: ['burst', 'trickle', 'oneDevice', 'collector', 'synth'],
      burst: { events: 50_000, sessions: 2_000, variants: ['hosted', 'perDevice', 'raw'], maxSeconds: 180 },
      trickle: { rates: [800, 1600, 3200, 4800], seconds: 30, devices: 20_000 },
      oneDevice: { events: 100_000 },
      collector: { seconds: 30, connections: 16, batch: 50 },
      synth: { events: 20_000, seed: 1 },
    });
  });

  it.each([
    [{ BENCH_SCENARIOS: 'trickle' }, ['trickle']],
    [{ BENCH_SCENARIOS: ' collector , burst,collector' }, ['collector', 'burst']],
    [{ BENCH_SCENARIOS: '' }, ['burst', 'trickle', 'oneDevice', 'collector', 'synth']],
    [{ BENCH_SCENARIOS: 'synth' }, ['synth']],
  ])('takes the scenarios of %j in the order given, each once', (env, scenarios) => {
    expect(loadBenchOptions(env).scenarios).toEqual(scenarios);
  });

  it('reads rates, durations and sizes', () => {
    const options = loadBenchOptions({ BENCH_TRICKLE_RATES: '100, 200', BENCH_TRICKLE_SECONDS: '10', BENCH_BURST_VARIANTS: 'raw,hosted', BENCH_COLLECTOR_SECONDS: '5' });
    expect(options.trickle).toMatchObject({ rates: [100, 200], seconds: 10 });
    expect(options.burst.variants).toEqual(['raw', 'hosted']);
    expect(options.collector.seconds).toBe(5);
  });

  it.each([
    [{ BENCH_SYNTH_EVENTS: '2000' }, { events: 2_000, seed: 1 }],
    [{ BENCH_SYNTH_EVENTS: '80', BENCH_SYNTH_SEED: '0' }, { events: 80, seed: 0 }],
    [{ BENCH_SYNTH_EVENTS: '100000', BENCH_SYNTH_SEED: '4294967295' }, { events: 100_000, seed: 4_294_967_295 }],
    [{ BENCH_SYNTH_EVENTS: ' ', BENCH_SYNTH_SEED: ' 7 ' }, { events: 20_000, seed: 7 }],
  ])('reads the synth scenario of %j', (env, synth) => {
    expect(loadBenchOptions(env).synth).toEqual(synth);
  });

  it.each([
    [{ BENCH_SCENARIOS: 'burst,naive' }, 'BENCH_SCENARIOS'],
    [{ BENCH_BURST_VARIANTS: 'naive' }, 'BENCH_BURST_VARIANTS'],
    [{ BENCH_TRICKLE_RATES: '800,fast' }, 'BENCH_TRICKLE_RATES'],
    [{ BENCH_TRICKLE_SECONDS: '0' }, 'BENCH_TRICKLE_SECONDS'],
    [{ BENCH_COLLECTOR_SECONDS: '601' }, 'BENCH_COLLECTOR_SECONDS'],
    [{ BENCH_BURST_EVENTS: '-5' }, 'BENCH_BURST_EVENTS'],
    [{ BENCH_SYNTH_EVENTS: '79' }, 'BENCH_SYNTH_EVENTS'],
    [{ BENCH_SYNTH_EVENTS: '100001' }, 'BENCH_SYNTH_EVENTS'],
    [{ BENCH_SYNTH_EVENTS: '2e3x' }, 'BENCH_SYNTH_EVENTS'],
    [{ BENCH_SYNTH_SEED: '-1' }, 'BENCH_SYNTH_SEED'],
    [{ BENCH_SYNTH_SEED: '1.5' }, 'BENCH_SYNTH_SEED'],
    [{ BENCH_SYNTH_SEED: '4294967296' }, 'BENCH_SYNTH_SEED'],
    [{ BENCH_SYNTH_SEED: 'one' }, 'BENCH_SYNTH_SEED'],
  ])('refuses %j, naming the variable', (env, variable) => {
    expect(problemsOf(env).join('\n')).toContain(variable);
  });
});

describe('evaluateGoals', () => {
  it('leaves every goal undecided when nothing ran', () => {
    const goals = evaluateGoals({});
    expect(Object.values(goals).map((g) => g.met)).toEqual(Object.values(goals).map(() => null));
  });

  it('decides each goal from its figure, bounds included', () => {
    const burst = {
      hostedVsRaw: 0.5,
      variants: { hosted: { history: { eventsPerCanonicalEvent: 0.06, bytesPerCanonicalEvent: 64 } } },
    } as unknown as BurstReport;
    const trickle = { maxRateKeptUp: null, at1600: { p50: 900, p99: 2000 }, peakRssMb: { worker: 1600 } } as unknown as TrickleReport;
    const goals = evaluateGoals({ burst, trickle });
    expect(goals.hostedVsRaw).toMatchObject({ value: 0.5, met: true });
    expect(goals.historyEventsPerCanonicalEvent).toMatchObject({ value: 0.06, met: false });
    expect(goals.historyBytesPerCanonicalEvent).toMatchObject({ value: 64, met: true });
    expect(goals.trickleKeepsUpAt).toMatchObject({ value: 0, met: false });
    expect(goals.trickleP99At1600).toMatchObject({ value: 2000, met: true });
    expect(goals.workerRssWith20kDevices).toMatchObject({ value: 1600, met: false });
    expect(goals.collectorEventsPerSecond.met).toBeNull();
  });
});
