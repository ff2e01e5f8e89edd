import type { Command } from 'commander';
import { ApiClient } from '../api-client';
import { list, runClientCommand } from '../client-command';
import { followOperation, summarize, type OperationView } from '../progress';

/** Exit codes: 0 completed, 1 failed, 4 cancelled (or still running without --wait: 0). */
const exitCodeOf = (view: OperationView) => (view.status === 'failed' ? 1 : view.status === 'cancelled' ? 4 : 0);

function controlCommands(parent: Command, base: string, kind: string): void {
  parent
    .command('status <id>')
    .description(`a ${kind}'s status and counts`)
    .option('--watch', 'follow it with a progress bar until it finishes')
    .option('--json', 'print JSON')
    .action((id: string, opts: { watch?: boolean; json?: boolean }) =>
      runClientCommand(async () => {
        const api = new ApiClient();
        const view = opts.watch ? await followOperation(api, `${base}/${id}`) : await api.call<OperationView>('GET', `${base}/${id}`);
        console.log(opts.json ? JSON.stringify(view) : summarize(view));
        return opts.watch ? exitCodeOf(view) : view.status === 'failed' ? 1 : 0;
      }),
    );
  for (const action of ['pause', 'resume', 'cancel'] as const) {
    parent
      .command(`${action} <id>`)
      .description(`${action} a ${kind} (durable: applied between chunks)`)
      .action((id: string) =>
        runClientCommand(async () => {
          await new ApiClient().call('POST', `${base}/${id}/${action}`);
          console.log(`${kind} ${id}: ${action} requested`);
        }),
      );
  }
}

async function startAndMaybeFollow(path: string, body: object, base: string, wait: boolean | undefined, json: boolean | undefined): Promise<number> {
  const api = new ApiClient();
  const started = await api.call<{ id: string; workflowId: string }>('POST', path, body);
  if (!wait) {
    console.log(json ? JSON.stringify(started) : `started ${started.id} (workflow ${started.workflowId}); follow with \`braid ${base.split('/').at(-1)?.replace(/s$/, '')} status ${started.id} --watch\``);
    return 0;
  }
  console.error(`started ${started.id}`);
  const view = await followOperation(api, `${base}/${started.id}`);
  console.log(json ? JSON.stringify(view) : summarize(view));
  return exitCodeOf(view);
}

export function registerReplay(program: Command): void {
  const replay = program.command('replay').description("re-run a project's raw events through today's rules");
  replay
    .command('start')
    .description('start a replay of a received-time range')
    .requiredOption('-p, --project <projectId>')
    .requiredOption('--from <time>', 'ISO-8601 start of the range (received time)')
    .requiredOption('--to <time>', 'ISO-8601 end of the range')
    .option('--target <target>', 'production (replace rows in place) or sandbox (schema sandbox_<id>)', 'sandbox')
    .option('--channels <list>', 'only these channels')
    .option('--events <list>', 'only these event names')
    .option('--exclude-rejected', 'leave previously rejected messages rejected')
    .option('--wait', 'follow it with a progress bar; exit non-zero if it fails')
    .option('--json', 'print JSON')
    .action((opts: { project: string; from: string; to: string; target: string; channels?: string; events?: string; excludeRejected?: boolean; wait?: boolean; json?: boolean }) =>
      runClientCommand(() =>
        startAndMaybeFollow(
          '/api/replays',
          {
            projectId: opts.project,
            from: opts.from,
            to: opts.to,
            target: opts.target,
            ...(opts.channels ? { channels: list(opts.channels) } : {}),
            ...(opts.events ? { events: list(opts.events) } : {}),
            includeRejected: !opts.excludeRejected,
          },
          '/api/replays',
          opts.wait,
          opts.json,
        ),
      ),
    );
  controlCommands(replay, '/api/replays', 'replay');
}

export function registerBackfill(program: Command): void {
  const backfill = program.command('backfill').description('import historical events');
  backfill
    .command('start')
    .description('import a segment-jsonl file (gzip allowed) from a path or URL the workers can read')
    .requiredOption('-p, --project <projectId>')
    .requiredOption('--source <pathOrUrl>')
    .option('--channel <channel>', 'the channel the events came from', 'backend')
    .option('--wait', 'follow it with a progress bar; exit non-zero if it fails')
    .option('--json', 'print JSON')
    .action((opts: { project: string; source: string; channel: string; wait?: boolean; json?: boolean }) =>
      runClientCommand(() =>
        startAndMaybeFollow('/api/backfills', { projectId: opts.project, source: opts.source, channel: opts.channel, format: 'segment-jsonl' }, '/api/backfills', opts.wait, opts.json),
      ),
    );
  controlCommands(backfill, '/api/backfills', 'backfill');
}
