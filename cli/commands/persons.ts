import type { Command } from 'commander';
import { ApiClient } from '../api-client';
import { runClientCommand } from '../client-command';
import { renderTable } from '../table';

export function registerPersons(program: Command): void {
  const person = program.command('person').description('persons in the identity graph: merges and unmerges');
  person
    .command('merges <projectId> <personId>')
    .description("a person's recorded merges (id, cause, time)")
    .option('--json', 'print JSON')
    .action((projectId: string, personId: string, opts: { json?: boolean }) =>
      runClientCommand(async () => {
        const res = await new ApiClient().call<{ merges: { mergeId: string; a: { kind: string; id: string }; b: { kind: string; id: string }; rule: string; eventId: string | null; status: string; reason: string | null; createdAt: string }[] }>(
          'GET',
          `/api/persons/${encodeURIComponent(projectId)}/${encodeURIComponent(personId)}/merges`,
        );
        if (opts.json) return void console.log(JSON.stringify(res));
        console.log(
          renderTable(
            res.merges.map((m) => ({ mergeId: m.mergeId, status: m.status, rule: m.rule, a: `${m.a.kind}:${m.a.id}`, b: `${m.b.kind}:${m.b.id}`, cause: m.eventId ?? m.reason ?? '', at: m.createdAt })),
          ),
        );
      }),
    );
  person
    .command('merge <projectId> <personA> <personB>')
    .description('merge two persons (an operator decision)')
    .action((projectId: string, a: string, b: string) =>
      runClientCommand(async () => {
        const res = await new ApiClient().call<{ mergeId: string; personId: string }>('POST', `/api/persons/${encodeURIComponent(projectId)}/merge`, { personIds: [a, b] });
        console.log(`merged into ${res.personId} (merge ${res.mergeId}; undo with \`braid person unmerge ${projectId} --merge-id ${res.mergeId}\`)`);
      }),
    );
  person
    .command('unmerge <projectId>')
    .description('undo a merge, or detach an id and what it brought')
    .option('--merge-id <mergeId>')
    .option('--kind <kind>', 'user or anonymous')
    .option('--id <id>')
    .action((projectId: string, opts: { mergeId?: string; kind?: string; id?: string }) =>
      runClientCommand(async () => {
        const body = opts.mergeId ? { mergeId: opts.mergeId } : { kind: opts.kind, id: opts.id };
        const res = await new ApiClient().call<{ undone: string[]; persons: { personId: string; identities: { kind: string; id: string }[] }[] }>(
          'POST',
          `/api/persons/${encodeURIComponent(projectId)}/unmerge`,
          body,
        );
        console.log(`undone: ${res.undone.join(', ')}`);
        for (const p of res.persons) console.log(`  ${p.personId}: ${p.identities.map((i) => `${i.kind}:${i.id}`).join(', ')}`);
      }),
    );

  program
    .command('journey <projectId> <personId>')
    .description("a person's events across channels in event-time order")
    .option('--limit <n>', 'at most this many events', '1000')
    .option('--json', 'print JSON')
    .action((projectId: string, personId: string, opts: { limit: string; json?: boolean }) =>
      runClientCommand(async () => {
        const res = await new ApiClient().call<{ events: Record<string, unknown>[] }>(
          'GET',
          `/api/persons/${encodeURIComponent(projectId)}/${encodeURIComponent(personId)}/journey?limit=${encodeURIComponent(opts.limit)}`,
        );
        console.log(opts.json ? JSON.stringify(res) : renderTable(res.events, ['event_time', 'channel', 'type', 'event', 'session_id', 'user_id', 'anonymous_id']));
      }),
    );
}
