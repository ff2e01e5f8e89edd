import type { Command } from 'commander';
import { headers, type NatsConnection } from 'nats';
import type pg from 'pg';
import { getAccounting, waitForDrain } from '../../db/accounting';
import { landedEvents, landedRejections } from '../../db/landed-events';
import { createProject } from '../../db/projects';
import { prepareNats, preparePostgres } from '../../runtime/platform';
import { demoTraffic } from '../demo-traffic';
import { commandContext } from '../process';
import { renderTable } from '../table';

export const DEMO_PROJECT = 'demo';

/**
 * Publishes the demo story to BRAID_RAW as an SDK would, waits until every
 * message is accounted for, and prints what landed in analytics.events.
 */
export async function runDemo(pool: pg.Pool, nc: NatsConnection, timeoutMs = 120_000): Promise<void> {
  await createProject(pool, { projectId: DEMO_PROJECT, name: 'braid demo' });
  const runId = Date.now().toString(36);
  const messages = demoTraffic(DEMO_PROJECT, runId, Date.now());
  const js = nc.jetstream();
  const [before] = await getAccounting(pool, DEMO_PROJECT);
  for (const m of messages) {
    const h = headers();
    if (m.withMsgIdHeader) h.set('Nats-Msg-Id', String(m.payload.messageId));
    await js.publish(m.subject, JSON.stringify(m.payload), { headers: h });
  }
  console.log(`braid demo: published ${messages.length} events to braid.raw.${DEMO_PROJECT}.{web,mobile,backend} (run ${runId}); waiting for them to land…`);
  const accounting = await waitForDrain(pool, DEMO_PROJECT, (before?.accepted ?? 0) + messages.length, timeoutMs);

  const events = await landedEvents(pool, DEMO_PROJECT, `demo-${runId}-`);
  const rejected = await landedRejections(pool, DEMO_PROJECT, `demo-${runId}-`);
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
  console.log(`\nanalytics.accounting for project "${DEMO_PROJECT}":\n`);
  console.log(renderTable([accounting as unknown as Record<string, unknown>]));
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('send demo traffic from web, mobile and backend to a running braid and print what landed')
    .action(async () => {
      const { config, log } = commandContext('demo');
      const pool = await preparePostgres(config, log);
      const nats = await prepareNats(config, log, 'braid-demo');
      try {
        await runDemo(pool, nats.nc);
      } finally {
        await nats.nc.close();
        await pool.end();
      }
    });
}
