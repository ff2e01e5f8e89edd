import { z } from 'zod';
import { MAX_SEED } from '../rules/seeded-random';
import { SYNTH_LIMITS } from '../rules/synth-traffic';
import { ConfigError } from '../runtime/config';

export const SCENARIOS = ['burst', 'trickle', 'oneDevice', 'collector', 'synth'] as const;
export type Scenario = (typeof SCENARIOS)[number];

export const BURST_VARIANTS = ['hosted', 'perDevice', 'raw'] as const;
export type BurstVariant = (typeof BURST_VARIANTS)[number];

const positiveInt = z.coerce.number().int().positive();

/** A comma-separated list of `values`, in the order given, each once. */
const listOf = <T extends string>(values: readonly [T, ...T[]]) =>
  z
    .string()
    .transform((s) => s.split(',').map((v) => v.trim()).filter(Boolean))
    .pipe(z.array(z.enum(values)).min(1))
    .transform((list) => [...new Set(list)]);

const benchEnvSchema = z.object({
  /** Which scenarios run, in this order. */
  BENCH_SCENARIOS: listOf(SCENARIOS).prefault(SCENARIOS.join(',')),
  BENCH_BURST_EVENTS: positiveInt.default(50_000),
  BENCH_BURST_SESSIONS: positiveInt.default(2_000),
  BENCH_BURST_VARIANTS: listOf(BURST_VARIANTS).prefault(BURST_VARIANTS.join(',')),
  /** A variant still draining after this long is measured as far as it got (keeps per-device from taking the whole run). */
  BENCH_BURST_MAX_SECONDS: positiveInt.default(180),
  BENCH_TRICKLE_RATES: z
    .string()
    .transform((s) => s.split(',').map((v) => Number(v.trim())))
    .pipe(z.array(z.number().int().positive()).min(1))
    .prefault('800,1600,3200,4800'),
  BENCH_TRICKLE_SECONDS: positiveInt.default(30),
  BENCH_TRICKLE_DEVICES: positiveInt.default(20_000),
  BENCH_ONE_DEVICE_EVENTS: positiveInt.default(100_000),
  BENCH_COLLECTOR_SECONDS: positiveInt.max(600).default(30),
  BENCH_COLLECTOR_CONNECTIONS: positiveInt.max(512).default(16),
  BENCH_COLLECTOR_BATCH: positiveInt.max(500).default(50),
  /** `braid synth` traffic: as many messages as `synth run --events` takes, of a seed it takes. */
  BENCH_SYNTH_EVENTS: positiveInt.min(SYNTH_LIMITS.minEvents).max(SYNTH_LIMITS.maxEvents).default(20_000),
  BENCH_SYNTH_SEED: z.coerce.number().int().min(0).max(MAX_SEED).default(1),
});

export interface BenchOptions {
  scenarios: Scenario[];
  burst: { events: number; sessions: number; variants: BurstVariant[]; maxSeconds: number };
  trickle: { rates: number[]; seconds: number; devices: number };
  oneDevice: { events: number };
  collector: { seconds: number; connections: number; batch: number };
  synth: { events: number; seed: number };
}

/** The benchmark's settings from BENCH_* variables, parsed once; a bad value names the variable. */
export function loadBenchOptions(env: NodeJS.ProcessEnv = process.env): BenchOptions {
  const given = Object.fromEntries(Object.entries(env).filter(([k, v]) => k.startsWith('BENCH_') && v !== undefined && v.trim() !== ''));
  const parsed = benchEnvSchema.safeParse(given);
  if (!parsed.success) throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  const o = parsed.data;
  return {
    scenarios: o.BENCH_SCENARIOS,
    burst: { events: o.BENCH_BURST_EVENTS, sessions: o.BENCH_BURST_SESSIONS, variants: o.BENCH_BURST_VARIANTS, maxSeconds: o.BENCH_BURST_MAX_SECONDS },
    trickle: { rates: o.BENCH_TRICKLE_RATES, seconds: o.BENCH_TRICKLE_SECONDS, devices: o.BENCH_TRICKLE_DEVICES },
    oneDevice: { events: o.BENCH_ONE_DEVICE_EVENTS },
    collector: { seconds: o.BENCH_COLLECTOR_SECONDS, connections: o.BENCH_COLLECTOR_CONNECTIONS, batch: o.BENCH_COLLECTOR_BATCH },
    synth: { events: o.BENCH_SYNTH_EVENTS, seed: o.BENCH_SYNTH_SEED },
  };
}
