import { randomInt } from 'node:crypto';
import type { Command } from 'commander';
import { headers, type NatsConnection } from 'nats';
import type pg from 'pg';
import { PROJECT_ID_PATTERN } from '../../contracts/envelope';
import type { SynthFigures } from '../../contracts/synth';
import { getAccounting, waitForDrain } from '../../db/accounting';
import { landedEvents, landedRejections } from '../../db/landed-events';
import { createProject } from '../../db/projects';
import { funnelQueryOf, synthFigures } from '../../db/synth-figures';
import { compareFigures, describeDifference, type FigureDifference } from '../../rules/synth-comparison';
import { expectOutcome } from '../../rules/synth-expectation';
import { generateTraffic } from '../../rules/synth-traffic';
import { prepareNats, preparePostgres } from '../../runtime/platform';
import { demoTraffic } from '../demo-traffic';
import { commandContext } from '../process';
import { publishOverNats } from '../../runtime/synth-publisher';
import { renderTable } from '../table';

export const DEMO_PROJECT = 'demo';
/** Messages of the demo's synthetic part: every kind of `braid synth` traffic, a few seconds end to end. */
export const DEMO_SYNTH_EVENTS = 300;

export interface DemoOptions {
  /** The story's project, created when missing (default `demo`). */
  projectId?: string;
  /** A project without events for the synthetic traffic (default `demo-synth-<runId>`, new each run). */
  synthProjectId?: string;
  /** How long each part may take to drain. */
  timeoutMs?: number;
}

/** The synthetic traffic did not land as braid's rules say it must: the demo fails (exit 1). */
export class DemoMismatch extends Error {}

/**
 * Publishes the demo story to BRAID_RAW as an SDK would, waits until every
 * message is accounted for, and prints what landed in analytics.events; then
 * sends `braid synth` traffic into a project of its own and checks the
 * analyst views against its expectation. Throws DemoMismatch when they differ.
 */
export async function runDemo(pool: pg.Pool, nc: NatsConnection, options: DemoOptions = {}): Promise<void> {
  const projectId = options.projectId ?? DEMO_PROJECT;
  const timeoutMs = options.timeoutMs ?? 120_000;
  const runId = Date.now().toString(36);
  await runStory(pool, nc, projectId, runId, timeoutMs);
  await runSynthTraffic(pool, nc, options.synthProjectId ?? `demo-synth-${runId}`, runId, timeoutMs);
}

async function runStory(pool: pg.Pool, nc: NatsConnection, projectId: string, runId: string, timeoutMs: number): Promise<void> {
  await createProject(pool, { projectId, name: 'braid demo' });
  const messages = demoTraffic(projectId, runId, Date.now());
  const js = nc.jetstream();
  const [before] = await getAccounting(pool, projectId);
  for (const m of messages) {
    const h = headers();
    if (m.withMsgIdHeader) h.set('Nats-Msg-Id', String(m.payload.messageId));
    await js.publish(m.subject, JSON.stringify(m.payload), { headers: h });
  }
  console.log(`braid demo: published ${messages.length} events to braid.raw.${projectId}.{web,mobile,backend} (run ${runId}); waiting for them to land…`);
  const accounting = await waitForDrain(pool, projectId, (before?.accepted ?? 0) + messages.length, timeoutMs);

  const events = await landedEvents(pool, projectId, `demo-${runId}-`);
  const rejected = await landedRejections(pool, projectId, `demo-${runId}-`);
  console.log(`\nanalytics.events (with lineage) for run ${runId}:\n`);
  console.log(
    renderTable(
      events.map((e) => ({
        event_time: e.eventTime,
        channel: e.channel,
        type: e.type,
        event: e.event,
        person_id: e.personId,
        session_id: e.sessionId,
        seq: e.sourceSequence,
        transforms: e.transforms.map((t) => `${t.step}@${t.version}`).join(','),
      })),
    ),
  );
  console.log('\nanalytics.rejected_events:\n');
  console.log(renderTable(rejected.map((r) => ({ message_id: r.messageId, reason: r.reason, message: r.message }))));
  console.log(`\nanalytics.accounting for project "${projectId}":\n`);
  console.log(renderTable([accounting as unknown as Record<string, unknown>]));
}

/**
 * `braid synth` traffic of a fresh seed (a seed's message ids would be
 * JetStream duplicates of its last run within BRAID_RAW_DUPLICATE_WINDOW)
 * into a new project, since the expectation is a project's totals; then
 * what `braid synth verify` does, summed up in one paragraph.
 */
async function runSynthTraffic(pool: pg.Pool, nc: NatsConnection, projectId: string, runId: string, timeoutMs: number): Promise<void> {
  await createProject(pool, { projectId, name: `braid demo: synthetic traffic of run ${runId}` });
  const [before] = await getAccounting(pool, projectId);
  if (before && before.accepted > 0) {
    throw new Error(`project ${projectId} already has ${before.accepted} accepted messages; the synthetic traffic's expectation is a project's totals, so it needs a new project`);
  }
  // Above the small seeds the tests and the README use, which may have been sent to this stream moments ago.
  const seed = randomInt(1_000, 1_000_000);
  const traffic = generateTraffic({ seed, events: DEMO_SYNTH_EVENTS, anchorMs: Date.now() });
  const expected = expectOutcome(traffic, projectId, 'nats').figures;
  const startedMs = Date.now();
  const published = await publishOverNats(nc, projectId, traffic.messages, { label: `synth ${projectId}` });
  const publishedMs = Date.now();
  let drainNote = '';
  try {
    // Messages JetStream dropped as duplicates are never accepted: waiting for them would only run into the timeout.
    await waitForDrain(pool, projectId, expected.accounting.accepted - published.streamDuplicates, timeoutMs);
  } catch (error) {
    drainNote = ` (${(error as Error).message}; compared with what is there now)`;
  }
  const drainedMs = Date.now();
  const actual = await synthFigures(pool, projectId, funnelQueryOf(traffic.funnel));
  const differences = compareFigures(expected, actual);
  console.log(`\nsynthetic traffic (braid synth) for run ${runId}:\n`);
  console.log(
    `Published ${published.sent} events of seed ${seed} from web, mobile and backend via NATS to project ${projectId} in ${seconds(publishedMs - startedMs)} s; ` +
      `accounted for ${seconds(drainedMs - publishedMs)} s later${drainNote}: ${describeFigures(actual)}. ` +
      (published.streamDuplicates > 0 ? `JetStream dropped ${published.streamDuplicates} of them as duplicates of messages it already had. ` : '') +
      describeOutcome(projectId, seed, differences),
  );
  if (differences.length > 0) throw new DemoMismatch(`project ${projectId} differs from the expectation of seed ${seed} in ${plural(differences.length, 'figure')}`);
}

function describeFigures(f: SynthFigures): string {
  const a = f.accounting;
  return `accepted ${a.accepted}, canonical ${a.canonical}, rejected ${a.rejected}, suppressed ${a.suppressed}, duplicates ${a.duplicates}; persons ${f.persons}, sessions ${f.sessions}`;
}

function describeOutcome(projectId: string, seed: number, differences: readonly FigureDifference[]): string {
  if (differences.length === 0) return `Project ${projectId} matches the expectation of seed ${seed}.`;
  return `Project ${projectId} differs from the expectation of seed ${seed} in ${plural(differences.length, 'figure')}: ${differences.map(describeDifference).join('; ')}.`;
}

const seconds = (ms: number) => (ms / 1000).toFixed(1);
const plural = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('send demo traffic from web, mobile and backend to a running braid and print what landed; then synthetic traffic, checked against its expectation (exit 1 when it differs)')
    .option('-p, --project <projectId>', 'the project of the story (created when missing)', DEMO_PROJECT)
    .option('--synth-project <projectId>', 'a project without events for the synthetic traffic (default: demo-synth-<run>, new each run)')
    .action(async (opts: { project: string; synthProject?: string }) => {
      const bad = [opts.project, opts.synthProject].filter((id): id is string => id !== undefined && !PROJECT_ID_PATTERN.test(id));
      if (bad.length > 0) {
        for (const id of bad) console.error(`braid demo: ${JSON.stringify(id)} is not a project id (${PROJECT_ID_PATTERN.source})`);
        process.exit(2);
      }
      const { config, log } = commandContext('demo');
      const pool = await preparePostgres(config, log);
      const nats = await prepareNats(config, log, 'braid-demo');
      try {
        await runDemo(pool, nats.nc, { projectId: opts.project, synthProjectId: opts.synthProject });
      } catch (error) {
        if (!(error instanceof DemoMismatch)) throw error;
        console.error(`braid demo: ${error.message}`);
        process.exitCode = 1;
      } finally {
        await nats.nc.close();
        await pool.end();
      }
    });
}
