import type { Command } from 'commander';
import { ApiClient } from '../api-client';
import { runClientCommand } from '../client-command';
import { followOperation, summarize } from '../progress';

export function registerErase(program: Command): void {
  program
    .command('erase')
    .description('erase a person and every id linked to it (suppress, suppress_and_delete, delete, unsuppress)')
    .requiredOption('-p, --project <projectId>')
    .requiredOption('--mode <mode>', 'suppress | suppress_and_delete | delete | unsuppress')
    .option('--person-id <personId>')
    .option('--user-id <userId>')
    .option('--anonymous-id <anonymousId>')
    .option('--json', 'print JSON')
    .action((opts: { project: string; mode: string; personId?: string; userId?: string; anonymousId?: string; json?: boolean }) =>
      runClientCommand(async () => {
        const api = new ApiClient();
        const started = await api.call<{ id: string }>('POST', '/api/erasures', {
          projectId: opts.project,
          mode: opts.mode,
          ...(opts.personId ? { personId: opts.personId } : {}),
          ...(opts.userId ? { userId: opts.userId } : {}),
          ...(opts.anonymousId ? { anonymousId: opts.anonymousId } : {}),
        });
        const view = await followOperation(api, `/api/erasures/${started.id}`);
        console.log(opts.json ? JSON.stringify(view) : summarize(view));
        return view.status === 'completed' ? 0 : 1;
      }),
    );
}
