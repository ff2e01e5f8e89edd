import type { Command } from 'commander';
import type { DeviceCounts } from '../../db/devices';
import { ApiClient } from '../api-client';
import { runClientCommand } from '../client-command';
import { renderTable } from '../table';

type DeviceView = DeviceCounts & { projectId: string; channel: string; deviceId: string; hosting: string; hostWorkflowId: string };

export function registerSession(program: Command): void {
  const session = program.command('session').description("device actors: where a device's events are and what became of them");
  session
    .command('show <projectId> <channel> <deviceId>')
    .description("a device's actor: host workflow, held and pending events, written/duplicates/suppressed, current session")
    .option('--json', 'print JSON')
    .action((projectId: string, channel: string, deviceId: string, opts: { json?: boolean }) =>
      runClientCommand(async () => {
        const d = await new ApiClient().call<DeviceView>(
          'GET',
          `/api/projects/${encodeURIComponent(projectId)}/devices/${encodeURIComponent(channel)}/${encodeURIComponent(deviceId)}`,
        );
        if (opts.json) return void console.log(JSON.stringify(d));
        const current = d.currentSession;
        console.log(
          renderTable([
            { field: 'host workflow', value: d.hostWorkflowId },
            { field: 'hosting', value: d.hosting },
            { field: 'pending', value: String(d.pending) },
            { field: 'held (consent)', value: String(d.held) },
            { field: 'written', value: String(d.written) },
            { field: 'duplicates', value: String(d.duplicates) },
            { field: 'suppressed', value: String(d.suppressed) },
            { field: 'current session', value: current ? `${current.sessionId} (${current.eventCount} events, ${current.startedAt} → ${current.endedAt})` : 'none' },
          ]),
        );
      }),
    );
}
