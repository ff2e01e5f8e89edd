import type { Command } from 'commander';
import { ApiClient } from '../api-client';
import { list, runClientCommand } from '../client-command';

export function registerProject(program: Command): void {
  const project = program.command('project').description('projects and their write keys');
  project
    .command('create <projectId>')
    .description('create a project; prints its write keys once')
    .option('--name <name>', 'display name (default: the id)')
    .option('--consent-mode <mode>', 'opt-in or opt-out')
    .option('--channels <list>', 'comma-separated channels (default web,mobile,backend)')
    .option('--naming <convention>', 'object_action_title, snake_case or any')
    .option('--session-timeout <minutes>', 'inactivity that ends a session', Number)
    .option('--json', 'print JSON')
    .action((projectId: string, opts: { name?: string; consentMode?: string; channels?: string; naming?: string; sessionTimeout?: number; json?: boolean }) =>
      runClientCommand(async () => {
        const body = {
          projectId,
          name: opts.name ?? projectId,
          ...(opts.consentMode ? { consentMode: opts.consentMode } : {}),
          ...(opts.channels ? { channels: list(opts.channels) } : {}),
          ...(opts.naming ? { namingConvention: opts.naming } : {}),
          ...(opts.sessionTimeout ? { sessionTimeoutMinutes: opts.sessionTimeout } : {}),
        };
        const created = await new ApiClient().call<{ projectId: string; writeKeys: Record<string, string> }>('POST', '/api/projects', body);
        if (opts.json) console.log(JSON.stringify(created));
        else {
          console.log(`project ${created.projectId} created. Write keys (shown once):`);
          for (const [channel, key] of Object.entries(created.writeKeys)) console.log(`  ${channel.padEnd(10)} ${key}`);
        }
      }),
    );
}
