import type { Command } from 'commander';
import { readFileSync, writeFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import type pg from 'pg';
import { PROJECT_ID_PATTERN } from '../../contracts/envelope';
import type { ProjectSettings } from '../../contracts/project';
import { SYNTH_VIAS, synthExpectationSchema, type SynthExpectation, type SynthVia } from '../../contracts/synth';
import { getAccounting, waitForDrain } from '../../db/accounting';
import { createPool } from '../../db/client';
import { getProject } from '../../db/projects';
import { funnelQueryOf, synthFigures } from '../../db/synth-figures';
import { compareFigures, describeDifference } from '../../rules/synth-comparison';
import { assumedSettings, expectOutcome } from '../../rules/synth-expectation';
import { checkSynthOptions, generateTraffic, SYNTH_CHANNELS, type SynthChannel } from '../../rules/synth-traffic';
import { natsTls } from '../../runtime/tls';
import { connectNats } from '../../runtime/services/nats';
import { ApiClient } from '../api-client';
import { commandContext } from '../process';
import { publishOverHttp, publishOverNats, SynthPublishRefused, type PublishReport } from '../../runtime/synth-publisher';

/** Bad arguments (and a project synth cannot use): exit 2 with the reasons. */
function refuse(...problems: string[]): never {
  for (const p of problems) console.error(`braid synth: ${p}`);
  process.exit(2);
}

const number = (value: string) => (value.trim() === '' ? Number.NaN : Number(value));

interface RunOptions {
  project: string;
  seed: number;
  events: number;
  via: string;
  rate?: number;
  expect: string;
  writeKeys?: string;
  json?: boolean;
}

interface VerifyOptions {
  project: string;
  expect: string;
  timeout: number;
  json?: boolean;
}

/** `braid synth run|verify` (contract §6): deterministic synthetic traffic and the check that braid made of it what its rules say. */
export function registerSynth(program: Command): void {
  const synth = program
    .command('synth')
    .description('synthetic multi-channel traffic from a seed, and a check of what the analyst views made of it')
    // Bad arguments exit 2 (help 0), like every refusal of these commands.
    .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2));
  synth
    .command('run')
    .description('publish deterministic fake traffic (personas, devices, sessions, funnel, identify, consent, skew, late, retries, malformed) to a new project and write the expected outcome')
    .requiredOption('-p, --project <projectId>', 'a project without any events yet (the expectation is its totals)')
    .requiredOption('--seed <n>', 'the seed: the same seed gives the same traffic', number)
    .requiredOption('--events <n>', 'messages to publish, retries and malformed ones included', number)
    .option('--via <transport>', 'nats (JetStream, as the SDK) or http (the collector, with --write-keys)', 'nats')
    .option('--rate <ev/s>', 'events per second (default: as fast as acks come)', number)
    .requiredOption('--expect <file>', 'where to write the expected outcome (JSON)')
    .option('--write-keys <file>', 'http: JSON with a write key per channel, e.g. the output of `braid project create <id> --json`')
    .option('--json', 'print the summary as JSON')
    .action((opts: RunOptions) => run(opts));
  synth
    .command('verify')
    .description('wait until the project has drained, then compare the analyst views with an expectation: exit 0 when they match, 1 with the differences')
    .requiredOption('-p, --project <projectId>', 'the project the run published to')
    .requiredOption('--expect <file>', 'the expectation `synth run` wrote')
    .option('--timeout <seconds>', 'how long to wait for the pipeline to drain', number, 120)
    .option('--json', 'print the outcome as JSON')
    .action((opts: VerifyOptions) => verify(opts));
}

async function run(opts: RunOptions): Promise<void> {
  const problems = checkSynthOptions({ seed: opts.seed, events: opts.events, rate: opts.rate });
  if (!PROJECT_ID_PATTERN.test(opts.project)) problems.unshift(`-p: ${JSON.stringify(opts.project)} is not a project id (${PROJECT_ID_PATTERN.source})`);
  if (!(SYNTH_VIAS as readonly string[]).includes(opts.via)) problems.push(`--via must be ${SYNTH_VIAS.join(' or ')}, got ${JSON.stringify(opts.via)}`);
  if (opts.via === 'http' && opts.writeKeys === undefined) problems.push('--via http needs --write-keys <file> (the keys are shown once, when the project is created or a key is rotated)');
  if (opts.via !== 'http' && opts.writeKeys !== undefined) problems.push('--write-keys is for --via http only');
  if (problems.length > 0) refuse(...problems);
  const via = opts.via as SynthVia;
  const writeKeys = via === 'http' ? readWriteKeys(opts.writeKeys as string) : null;

  const { config } = commandContext('synth');
  const pool = createPool(config.DATABASE_URL, 2);
  let report: PublishReport;
  let expectation: SynthExpectation;
  const started = Date.now();
  try {
    await checkProject(pool, opts.project);
    // The anchor is taken before anything is sent, so no event is stamped more than its 45 s ahead of its receipt.
    const anchorMs = Math.floor(Date.now() / 1000) * 1000;
    const traffic = generateTraffic({ seed: opts.seed, events: opts.events, anchorMs });
    const outcome = expectOutcome(traffic, opts.project, via);
    const assumes = assumedSettings();
    expectation = {
      kind: 'braid-synth-expectation',
      version: 1,
      projectId: opts.project,
      seed: opts.seed,
      events: opts.events,
      via,
      anchor: new Date(anchorMs).toISOString(),
      funnelQuery: funnelQueryOf(traffic.funnel),
      assumes: ruleSettings(assumes),
      collectorRejections: outcome.collectorRejections,
      jetstreamDuplicates: outcome.jetstreamDuplicates,
      expected: outcome.figures,
    };
    try {
      writeFileSync(opts.expect, `${JSON.stringify(expectation, null, 2)}\n`);
    } catch (error) {
      refuse(`cannot write --expect ${opts.expect}: ${(error as Error).message}`);
    }
    const label = `synth ${opts.project} via ${via}`;
    if (writeKeys) {
      report = await publishOverHttp(new ApiClient().url, writeKeys, traffic.messages, { rate: opts.rate, label });
    } else {
      const nc = await connectNats(config.NATS_URL, 'braid-synth', natsTls(config));
      try {
        report = await publishOverNats(nc, opts.project, traffic.messages, { rate: opts.rate, label });
      } finally {
        await nc.close();
      }
    }
  } catch (error) {
    if (error instanceof SynthPublishRefused) refuse(error.message);
    console.error(`braid synth: publishing failed: ${(error as Error).message}`);
    process.exit(1);
  } finally {
    await pool.end();
  }

  // What the transport said must be what the expectation assumed, else the expectation is wrong from the start.
  const surprises: string[] = [];
  if (report.streamDuplicates > 0) surprises.push(`JetStream acked ${report.streamDuplicates} messages as duplicates of a Nats-Msg-Id it already had (was this traffic sent before, within the stream's duplicate window?)`);
  const observed = JSON.stringify(sorted(report.collectorRejections));
  if (observed !== JSON.stringify(sorted(expectation.collectorRejections))) {
    surprises.push(`the collector refused ${observed}, the expectation says ${JSON.stringify(sorted(expectation.collectorRejections))}`);
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const e = expectation.expected;
  if (opts.json) console.log(JSON.stringify({ projectId: opts.project, seed: opts.seed, via, published: report.sent, seconds: Number(seconds), expect: opts.expect, expected: e, surprises }));
  else {
    console.log(`published ${report.sent} messages (seed ${opts.seed}) to project ${opts.project} via ${via} in ${seconds} s; expectation written to ${opts.expect}`);
    console.log(
      `expected once drained: accepted ${e.accounting.accepted}, canonical ${e.accounting.canonical}, rejected ${e.accounting.rejected}, ` +
        `suppressed ${e.accounting.suppressed}, duplicates ${e.accounting.duplicates}; persons ${e.persons}, sessions ${e.sessions}; ` +
        `funnel ${e.funnel.map((s) => s.persons).join(' → ')}`,
    );
    if (via === 'http') console.log(`refused by the collector (not accepted): ${JSON.stringify(expectation.collectorRejections)}; retries dropped by JetStream: ${expectation.jetstreamDuplicates}`);
    console.log(`check it with: braid synth verify -p ${opts.project} --expect ${opts.expect}`);
  }
  if (surprises.length > 0) {
    for (const s of surprises) console.error(`braid synth: ${s}`);
    process.exit(1);
  }
}

/** A project synth can use: it exists and has no events yet; settings other than the defaults are named (verify will differ). */
async function checkProject(pool: pg.Pool, projectId: string): Promise<void> {
  const project = await getProject(pool, projectId);
  if (!project) refuse(`no project ${projectId}; create it first (braid project create ${projectId})`);
  const [accounting] = await getAccounting(pool, projectId);
  if (accounting && accounting.accepted > 0) {
    refuse(`project ${projectId} already has ${accounting.accepted} accepted messages; the expectation is a project's totals, so each run needs a project of its own`);
  }
  const assumed = ruleSettings(assumedSettings());
  const actual = ruleSettings(project.settings);
  for (const [key, value] of Object.entries(assumed)) {
    if (!isDeepStrictEqual(actual[key], value)) {
      console.error(`braid synth: note: project ${projectId} has ${key} ${JSON.stringify(actual[key])}; the expectation follows braid's default ${JSON.stringify(value)}, so verify will show what that changes`);
    }
  }
}

/** The settings the expected figures depend on. */
function ruleSettings(s: ProjectSettings): Record<string, unknown> {
  return {
    consentMode: s.consentMode,
    requiredConsent: s.requiredConsent,
    sessionTimeoutMinutes: s.sessionTimeoutMinutes,
    skewToleranceSeconds: s.skewToleranceSeconds,
    channels: [...s.channels].sort(),
    namingConvention: s.namingConvention,
    trackingPlan: s.trackingPlan,
  };
}

/** `{ "web": key, … }`, or the answer of `braid project create --json` (`{ projectId, writeKeys }`). */
function readWriteKeys(file: string): Record<SynthChannel, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    refuse(`cannot read --write-keys ${file}: ${(error as Error).message}`);
  }
  const source = (parsed as { writeKeys?: unknown })?.writeKeys ?? parsed;
  const keys = (typeof source === 'object' && source !== null ? source : {}) as Record<string, unknown>;
  const missing = SYNTH_CHANNELS.filter((c) => typeof keys[c] !== 'string' || (keys[c] as string).length === 0);
  if (missing.length > 0) refuse(`--write-keys ${file} has no key for ${missing.join(', ')} (it needs one per channel: ${SYNTH_CHANNELS.join(', ')})`);
  return Object.fromEntries(SYNTH_CHANNELS.map((c) => [c, keys[c] as string])) as Record<SynthChannel, string>;
}

function readExpectation(file: string, projectId: string): SynthExpectation {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    refuse(`cannot read --expect ${file}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    refuse(`--expect ${file} is not JSON: ${(error as Error).message}`);
  }
  const parsed = synthExpectationSchema.safeParse(json);
  if (!parsed.success) {
    refuse(`--expect ${file} is not an expectation of \`braid synth run\`:`, ...parsed.error.issues.slice(0, 5).map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`));
  }
  if (parsed.data.projectId !== projectId) refuse(`--expect ${file} is the expectation of project ${parsed.data.projectId}, not ${projectId}`);
  return parsed.data;
}

async function verify(opts: VerifyOptions): Promise<void> {
  if (!PROJECT_ID_PATTERN.test(opts.project)) refuse(`-p: ${JSON.stringify(opts.project)} is not a project id (${PROJECT_ID_PATTERN.source})`);
  if (!Number.isFinite(opts.timeout) || opts.timeout <= 0) refuse(`--timeout must be a number of seconds above 0, got ${opts.timeout}`);
  const expectation = readExpectation(opts.expect, opts.project);
  const { config } = commandContext('synth');
  const pool = createPool(config.DATABASE_URL, 2);
  try {
    if (!(await getProject(pool, opts.project))) refuse(`no project ${opts.project}`);
    let drained = true;
    try {
      await waitForDrain(pool, opts.project, expectation.expected.accounting.accepted, opts.timeout * 1000);
    } catch (error) {
      drained = false;
      console.error(`braid synth verify: ${(error as Error).message}; comparing what is there now`);
    }
    const actual = await synthFigures(pool, opts.project, expectation.funnelQuery);
    const differences = compareFigures(expectation.expected, actual);
    if (opts.json) console.log(JSON.stringify({ projectId: opts.project, seed: expectation.seed, ok: differences.length === 0, drained, differences }));
    else if (differences.length === 0) {
      console.log(`project ${opts.project} matches the expectation of seed ${expectation.seed} (${expectation.events} events via ${expectation.via})`);
    } else {
      console.log(`project ${opts.project} differs from the expectation of seed ${expectation.seed} in ${differences.length} figure${differences.length === 1 ? '' : 's'}:`);
      for (const d of differences) console.log(`  ${describeDifference(d)}`);
    }
    process.exitCode = differences.length === 0 ? 0 : 1;
  } finally {
    await pool.end();
  }
}

function sorted(counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
