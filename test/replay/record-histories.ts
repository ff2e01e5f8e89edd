/**
 * Records session workflow histories for the replay tests (test/replay/histories).
 * Run after a deliberate, patched() change to the session workflow, with a new
 * scenario for the new behaviour; existing histories are kept (`-- --force`
 * re-records them, which throws away the proof that old runs still replay):
 *   npm run record-histories
 * It starts an in-memory dev server and a worker, drives two sessions through
 * their signals to completion, and writes each history as JSON.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { execFileSync } from 'node:child_process';
import { createProject } from '../../db/projects';
import { loadConfig } from '../../runtime/config';
import { createLogger } from '../../runtime/logger';
import { preparePostgres } from '../../runtime/platform';
import { resolveTemporalBinary, startDevServer } from '../../runtime/services/temporal';
import type { PreparedEvent } from '../../rules/prepared-event';
import { eventsSignal, type SessionBatch } from '../../workflows/session.messages';
import type { sessionWorkflow } from '../../workflows/session.workflow';
import { createBraidWorker } from '../../workers/braid-worker';
import { stageEvents } from '../../db/staged-events';
import { notifyHost } from '../../ingest/session-sink';
import { connectNats } from '../../runtime/services/nats';
import { testEnv } from '../support/test-env';

Object.assign(process.env, testEnv('braid_recordings'));

function event(projectId: string, n: number, overrides: Partial<PreparedEvent> = {}): PreparedEvent {
  const t = Date.UTC(2026, 0, 15, 12, 0, 0) + n * 60_000;
  return {
    projectId,
    channel: 'web',
    messageId: `replay-${projectId}-${n}`,
    type: 'track',
    event: 'Product Viewed',
    anonymousId: 'anon-replay',
    properties: { n },
    traits: {},
    context: {},
    eventTime: new Date(t).toISOString(),
    receivedAt: new Date(t + 500).toISOString(),
    source: { stream: 'REPLAY_RECORDING', sequence: Date.now() * 1000 + n, subject: `braid.raw.${projectId}.web` },
    transforms: [{ step: 'validate', version: 1 }, { step: 'event_time', version: 1 }],
    flags: [],
    ...overrides,
  };
}

async function main() {
  const config = loadConfig();
  const log = createLogger('warn', 'record-histories');
  const pool = await preparePostgres(config, log);
  const projectId = `replay${Date.now().toString(36)}`;
  await createProject(pool, { projectId, name: 'replay recording' });
  const binary = await resolveTemporalBinary({ explicitPath: config.BRAID_TEMPORAL_BIN, cache: config.BRAID_CACHE_DIR, log });
  const server = await startDevServer({ binary, namespace: 'default', log });
  try {
    await record(server.address, binary, pool, projectId, log);
  } finally {
    await server.stop();
    await pool.end();
  }
}

async function record(address: string, binary: string, pool: Awaited<ReturnType<typeof preparePostgres>>, projectId: string, log: ReturnType<typeof createLogger>) {
  const taskQueue = 'record-histories';
  const nc = await connectNats(loadConfig().NATS_URL, 'record-histories');
  const { worker, connection: workerConnection } = await createBraidWorker({ address, namespace: 'default', taskQueue, pool, nc, log });
  const run = worker.run();
  const connection = await Connection.connect({ address: address });
  const client = new Client({ connection });

  const optIn = `${projectId}in`;
  const optInShort = `${projectId}short`;
  await createProject(pool, { projectId: optIn, name: 'replay recording, opt-in', consentMode: 'opt-in' });
  await createProject(pool, { projectId: optInShort, name: 'replay recording, opt-in, 1 s hold', consentMode: 'opt-in', consentHoldSeconds: 1 });
  const granted = { context: { consent: { categoryPreferences: { analytics: true } } } };

  const scenarios: { name: string; projectId?: string; batches: PreparedEvent[][] }[] = [
    { name: 'session-three-signals', batches: [[event(projectId, 1), event(projectId, 2)], [event(projectId, 3)], [event(projectId, 3), event(projectId, 40)]] },
    {
      name: 'session-client-session-ids',
      batches: [[event(projectId, 101, { clientSessionId: 'a', anonymousId: 'anon-2' }), event(projectId, 102, { clientSessionId: 'b', anonymousId: 'anon-2' })]],
    },
    // Opt-in: the first event is held until the second brings consent (patched 'consent-hold').
    { name: 'session-consent-hold', projectId: optIn, batches: [[event(optIn, 201, { anonymousId: 'anon-3' })], [event(optIn, 202, { anonymousId: 'anon-3', ...granted })]] },
    // Opt-in, 1 s hold and no consent: the hold timer fires and the event is dropped.
    { name: 'session-consent-expired', projectId: optInShort, batches: [[event(optInShort, 301, { anonymousId: 'anon-4' })]] },
  ];
  for (const scenario of scenarios) {
    const file = join(__dirname, 'histories', `${scenario.name}.json`);
    // Recorded histories are kept: they prove today's code still replays what older code recorded.
    if (existsSync(file) && !process.argv.includes('--force')) {
      console.log(`kept ${file}`);
      continue;
    }
    const scenarioProject = scenario.projectId ?? projectId;
    const workflowId = `session:${scenarioProject}:web:${scenario.name}`;
    for (const events of scenario.batches) {
      await client.workflow.signalWithStart<typeof sessionWorkflow, [SessionBatch]>('sessionWorkflow', {
        workflowId,
        taskQueue,
        args: [{ projectId: scenarioProject, channel: 'web', deviceKey: `a:${scenario.name}`, idleMs: 2_000 }],
        signal: eventsSignal,
        signalArgs: [{ events, sessionTimeoutMs: 30 * 60_000 }],
      });
      await new Promise((r) => setTimeout(r, 300));
    }
    await client.workflow.getHandle(workflowId).result();
    // The CLI writes the same JSON history format as every other Temporal tool.
    const json = execFileSync(binary, ['workflow', 'show', '--workflow-id', workflowId, '--address', address, '--output', 'json'], { encoding: 'utf8' });
    writeFileSync(file, json.endsWith('\n') ? json : `${json}\n`);
    console.log(`recorded ${file} (${(JSON.parse(json) as { events: unknown[] }).events.length} events)`);
  }
  await recordHosts(client, binary, address, taskQueue, pool, { projectId, optIn, optInShort, granted });
  worker.shutdown();
  await run;
  await workerConnection.close();
  await connection.close();
  await nc.close();
}

/** Host workflows: events staged in Postgres, notices through signals, drains through the local activity. */
async function recordHosts(
  client: Client,
  binary: string,
  address: string,
  taskQueue: string,
  pool: Awaited<ReturnType<typeof preparePostgres>>,
  p: { projectId: string; optIn: string; optInShort: string; granted: { context: Record<string, unknown> } },
) {
  const device = (e: PreparedEvent, name: string) => ({ ...e, deviceKey: `a:${e.anonymousId ?? name}` });
  const scenarios: { name: string; projectId: string; batches: PreparedEvent[][] }[] = [
    // Two devices on one host, three notices, a duplicate in the last one.
    {
      name: 'host-three-notices',
      projectId: p.projectId,
      batches: [[event(p.projectId, 501, { anonymousId: 'h-1' }), event(p.projectId, 502, { anonymousId: 'h-2' })], [event(p.projectId, 503, { anonymousId: 'h-1' })], [event(p.projectId, 503, { anonymousId: 'h-1' }), event(p.projectId, 540, { anonymousId: 'h-2' })]],
    },
    // Opt-in: the first event is held (staged, with a deadline) until the second brings consent; the host re-checks.
    { name: 'host-consent-hold', projectId: p.optIn, batches: [[event(p.optIn, 601, { anonymousId: 'h-3' })], [event(p.optIn, 602, { anonymousId: 'h-3', ...p.granted })]] },
    // Opt-in, 1 s hold and no consent: the host waits for the deadline, then the event is dropped.
    { name: 'host-consent-expired', projectId: p.optInShort, batches: [[event(p.optInShort, 701, { anonymousId: 'h-4' })]] },
  ];
  for (const [index, scenario] of scenarios.entries()) {
    const file = join(__dirname, 'histories', `${scenario.name}.json`);
    if (existsSync(file) && !process.argv.includes('--force')) {
      console.log(`kept ${file}`);
      continue;
    }
    const workflowId = `sessions:${scenario.projectId}:${90 + index}`;
    for (const events of scenario.batches) {
      await stageEvents(pool, workflowId, events.map((e) => device(e, scenario.name)));
      await notifyHost(client, taskQueue, { workflowId, projectId: scenario.projectId, idleMs: 2_000 }, { events: events.length, sessionTimeoutMs: 30 * 60_000 });
      await new Promise((r) => setTimeout(r, 300));
    }
    await client.workflow.getHandle(workflowId).result();
    const json = execFileSync(binary, ['workflow', 'show', '--workflow-id', workflowId, '--address', address, '--output', 'json'], { encoding: 'utf8' });
    writeFileSync(file, json.endsWith('\n') ? json : `${json}\n`);
    console.log(`recorded ${file} (${(JSON.parse(json) as { events: unknown[] }).events.length} events)`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
