import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { ContractBreak, ContractRead } from '../../rules/consumer-contracts';
import { ApiClient } from '../api-client';
import { projectOf, runClientCommand } from '../client-command';
import { renderTable } from '../table';

const path = (projectId: string, consumer?: string) =>
  `/api/projects/${encodeURIComponent(projectId)}/contracts${consumer === undefined ? '' : `/${encodeURIComponent(consumer)}`}`;

function printBreaks(consumer: string, breaks: ContractBreak[]): void {
  if (breaks.length === 0) console.log(`${consumer}: the registry serves everything it reads`);
  for (const b of breaks) console.log(`${consumer}: ${b.message} (${b.reason})`);
}

/** `braid contract push|verify|list` (contract section 6): consumers' contracts with the schema registry. */
export function registerContract(program: Command): void {
  const contract = program.command('contract').description('consumer contracts: the events and properties a consumer reads, checked against the schema registry');

  contract
    .command('push <consumer> <file>')
    .description('register what <consumer> reads: a JSON file { "reads": [{ "event": "Order Completed", "properties": { "revenue": "number" } }] } ("-" reads stdin)')
    .option('-p, --project <projectId>', 'the project (default: BRAID_PROJECT)')
    .option('--json', 'print JSON')
    .action((consumer: string, file: string, opts: { project?: string; json?: boolean }) =>
      runClientCommand(async () => {
        const projectId = projectOf(opts);
        if (!projectId) return 2;
        let body: { reads?: ContractRead[] };
        try {
          body = JSON.parse(readFileSync(file === '-' ? 0 : file, 'utf8')) as { reads?: ContractRead[] };
        } catch (error) {
          console.error(`braid: cannot read ${file} as JSON: ${(error as Error).message}`);
          return 2;
        }
        const res = await new ApiClient().call<{ breaks: ContractBreak[] }>('PUT', path(projectId, consumer), body);
        if (opts.json) console.log(JSON.stringify(res));
        else printBreaks(consumer, res.breaks);
      }),
    );

  contract
    .command('verify <consumer>')
    .description("exit 1 when the registry no longer serves what <consumer>'s registered contract reads (for the consumer's CI)")
    .option('-p, --project <projectId>', 'the project (default: BRAID_PROJECT)')
    .option('--json', 'print JSON')
    .action((consumer: string, opts: { project?: string; json?: boolean }) =>
      runClientCommand(async () => {
        const projectId = projectOf(opts);
        if (!projectId) return 2;
        const res = await new ApiClient().call<{ breaks: ContractBreak[] }>('GET', path(projectId, consumer));
        if (opts.json) console.log(JSON.stringify(res));
        else printBreaks(consumer, res.breaks);
        return res.breaks.length > 0 ? 1 : 0;
      }),
    );

  contract
    .command('list')
    .description("a project's consumers, what each reads and whether it is served")
    .option('-p, --project <projectId>', 'the project (default: BRAID_PROJECT)')
    .option('--json', 'print JSON')
    .action((opts: { project?: string; json?: boolean }) =>
      runClientCommand(async () => {
        const projectId = projectOf(opts);
        if (!projectId) return 2;
        const res = await new ApiClient().call<{ contracts: { consumer: string; reads: ContractRead[]; updatedBy: string | null; breaks: ContractBreak[] }[] }>('GET', path(projectId));
        if (opts.json) console.log(JSON.stringify(res));
        else
          console.log(
            renderTable(
              res.contracts.map((c) => ({ consumer: c.consumer, events: c.reads.map((r) => r.event).join(', '), served: c.breaks.length === 0 ? 'yes' : `no (${c.breaks.length})`, by: c.updatedBy ?? '' })),
            ),
          );
      }),
    );
}
