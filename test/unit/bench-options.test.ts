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
      scenarios: ['burst', 'trickle', 'oneDevice', 'collector'],
      burst: { events: 50_000, sessions: 2_000, variants: ['hosted', 'perDevice', 'raw'], maxSeconds: 180 },
      trickle: { rates: [800, 1600, 3200, 4800], seconds: 30, devices: 20_000 },
      oneDevice: { events: 100_000 },
      collector: { seconds: 30, connections: 16, batch: 50 },
    });
  });

  it.each([
    [{ BENCH_SCENARIOS: 'trickle' }, ['trickle']],
    [{ BENCH_SCENARIOS: ' collector , burst,collector' }, ['collector', 'burst']],
    [{ BENCH_SCENARIOS: '' }, ['burst', 'trickle', 'oneDevice', 'collector']],
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
    [{ BENCH_SCENARIOS: 'burst,naive' }, 'BENCH_SCENARIOS'],
    [{ BENCH_BURST_VARIANTS: 'naive' }, 'BENCH_BURST_VARIANTS'],
    [{ BENCH_TRICKLE_RATES: '800,fast' }, 'BENCH_TRICKLE_RATES'],
    [{ BENCH_TRICKLE_SECONDS: '0' }, 'BENCH_TRICKLE_SECONDS'],
    [{ BENCH_COLLECTOR_SECONDS: '601' }, 'BENCH_COLLECTOR_SECONDS'],
    [{ BENCH_BURST_EVENTS: '-5' }, 'BENCH_BURST_EVENTS'],
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
