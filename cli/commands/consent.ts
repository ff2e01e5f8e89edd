import type { Command } from 'commander';
import { ApiClient } from '../api-client';
import { list, runClientCommand } from '../client-command';

export function registerConsent(program: Command): void {
  const consent = program.command('consent').description('consent decisions');
  consent
    .command('set')
    .description('grant or deny consent categories for a userId or anonymousId, effective at a time (default now)')
    .requiredOption('-p, --project <projectId>')
    .option('--user-id <id>')
    .option('--anonymous-id <id>')
    .option('--grant <categories>', 'comma-separated categories to grant')
    .option('--deny <categories>', 'comma-separated categories to deny')
    .option('--at <time>', 'ISO-8601 time it takes effect')
    .action((opts: { project: string; userId?: string; anonymousId?: string; grant?: string; deny?: string; at?: string }) =>
      runClientCommand(async () => {
        const categories: Record<string, boolean> = {};
        for (const c of list(opts.grant ?? '')) categories[c] = true;
        for (const c of list(opts.deny ?? '')) categories[c] = false;
        const res = await new ApiClient().call<{ recorded: number; effectiveAt: string; signalledSessions: number }>('POST', '/api/consent', {
          projectId: opts.project,
          ...(opts.userId ? { userId: opts.userId } : {}),
          ...(opts.anonymousId ? { anonymousId: opts.anonymousId } : {}),
          categories,
          ...(opts.at ? { at: opts.at } : {}),
        });
        console.log(`recorded ${res.recorded} consent decision(s) effective ${res.effectiveAt}; ${res.signalledSessions} live session(s) re-checked`);
      }),
    );
}
