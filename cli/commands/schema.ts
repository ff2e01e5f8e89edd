import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { CheckProblem, CheckResult } from '../../contracts/schemas';
import type { ContractBreak } from '../../rules/consumer-contracts';
import { ApiCallError, ApiClient } from '../api-client';
import { runClientCommand } from '../client-command';
import { renderTable } from '../table';

/** Lines and bytes per check request (the API takes bodies up to 1 MiB). */
const CHECK_LINES_PER_REQUEST = 1_000;
const CHECK_BYTES_PER_REQUEST = 512 * 1024;
/** Longer lines are cut before sending: far over the 32 KiB event limit either way, they are reported as too large. */
const MAX_LINE_CHARS = 40_000;

const path = (projectId: string, event?: string, tail = '') =>
  `/api/projects/${encodeURIComponent(projectId)}/schemas${event === undefined ? '' : `/${encodeURIComponent(event)}`}${tail}`;

export function registerSchema(program: Command): void {
  const schema = program
    .command('schema')
    .description('the schema registry: versioned JSON Schemas per event (`$identify`, `$group` for traits), compatibility checks, offline event checks');

  schema
    .command('push <projectId> <event> <file>')
    .description('push a JSON Schema for an event\'s properties (file "-" reads stdin); refused when it would reject events the current version accepts, unless --new-model')
    .option('--version <version>', 'MODEL-REVISION-ADDITION, e.g. 2-0-0 (default: the next one the change needs)')
    .option('--new-model', 'accept an incompatible change as the next MODEL')
    .option('--force', 'push a first version or new MODEL even when every recent event would fail it')
    .option('--comment <text>', 'why, for the changelog')
    .option('--json', 'print JSON')
    .action((projectId: string, event: string, file: string, opts: { version?: string; newModel?: boolean; force?: boolean; comment?: string; json?: boolean }) =>
      runClientCommand(() =>
        readably(async () => {
          const text = readInput(file);
          if (text === null) return 2;
          let parsed: unknown;
          try {
            parsed = JSON.parse(text);
          } catch (error) {
            console.error(`braid: ${file} is not JSON: ${(error as Error).message}`);
            return 2;
          }
          const body = { schema: parsed, ...(opts.version ? { version: opts.version } : {}), ...(opts.newModel ? { newModel: true } : {}), ...(opts.force ? { force: true } : {}), ...(opts.comment ? { comment: opts.comment } : {}) };
          const res = await new ApiClient().call<{ version: string; changed: boolean; change?: string; summary?: string; warnings?: { message: string }[] }>('PUT', path(projectId, event), body);
          if (opts.json) console.log(JSON.stringify(res));
          else if (!res.changed) console.log(`${event}: unchanged at ${res.version}`);
          else console.log(`${event} ${res.version} (${res.change}): ${res.summary}`);
          for (const w of res.warnings ?? []) console.error(`warning: ${w.message}`);
        }),
      ),
    );

  schema
    .command('get <projectId> <event>')
    .description("print an event's current schema (or --version)")
    .option('--version <version>', 'a version other than the current one')
    .action((projectId: string, event: string, opts: { version?: string }) =>
      runClientCommand(() =>
        readably(async () => {
          const res = await new ApiClient().call<{ schema: unknown }>('GET', path(projectId, event, opts.version ? `?version=${encodeURIComponent(opts.version)}` : ''));
          console.log(JSON.stringify(res.schema, null, 2));
        }),
      ),
    );

  schema
    .command('list <projectId>')
    .description("the current version of each of a project's event schemas")
    .option('--json', 'print JSON')
    .action((projectId: string, opts: { json?: boolean }) =>
      runClientCommand(() =>
        readably(async () => {
          const res = await new ApiClient().call<{ schemas: { event: string; version: string; target: string; createdBy: string | null; createdAt: string }[] }>('GET', path(projectId));
          if (opts.json) console.log(JSON.stringify(res));
          else console.log(renderTable(res.schemas.map((s) => ({ event: s.event, version: s.version, validates: s.target, by: s.createdBy ?? '', at: s.createdAt }))));
        }),
      ),
    );

  schema
    .command('history <projectId> <event>')
    .description("an event schema's changelog: who changed what, when")
    .option('--json', 'print JSON')
    .action((projectId: string, event: string, opts: { json?: boolean }) =>
      runClientCommand(() =>
        readably(async () => {
          const res = await new ApiClient().call<{ changelog: { version: string; change: string; author: string | null; changedAt: string; summary: string }[] }>('GET', path(projectId, event, '/history'));
          if (opts.json) console.log(JSON.stringify(res));
          else console.log(renderTable(res.changelog.map((c) => ({ version: c.version, change: c.change, by: c.author ?? '', at: c.changedAt, summary: c.summary }))));
        }),
      ),
    );

  schema
    .command('check [file]')
    .description('check NDJSON events (one per line) against the registry and tracking plan, as ingest would; exits 1 when any would be rejected (or flagged, see --fail-on); with --proposed, also which registered consumers a schema change would break')
    .option('-p, --project <projectId>', 'the project (default: BRAID_PROJECT)')
    .option('--channel <channel>', "the channel to check as (default: the project's first)")
    .option('--fail-on <level>', '"flag": fail on flagged or rejected events; "block": only on rejected ones', 'flag')
    .option('--json', 'print the result as JSON')
    .option('--proposed <event=file>', 'a schema you mean to push for an event: name the consumers it would break (repeatable)', (v: string, all: string[]) => [...all, v], [] as string[])
    .action((file: string | undefined, opts: { project?: string; channel?: string; failOn: string; json?: boolean; proposed: string[] }) =>
      runClientCommand(() =>
        readably(async () => {
          const projectId = opts.project ?? process.env.BRAID_PROJECT;
          if (!projectId) {
            console.error('braid: name the project with -p <projectId> (or BRAID_PROJECT)');
            return 2;
          }
          if (opts.failOn !== 'flag' && opts.failOn !== 'block') {
            console.error(`braid: --fail-on is "flag" or "block", not "${opts.failOn}"`);
            return 2;
          }
          if (file === undefined && opts.proposed.length === 0) {
            console.error('braid: give an NDJSON file of events to check, or --proposed <event=schema.json>');
            return 2;
          }
          const impact = await proposedImpact(new ApiClient(), projectId, opts.proposed);
          if (impact === null) return 2;
          if (file === undefined) {
            if (opts.json) console.log(JSON.stringify({ proposed: impact }));
            return impact.some((i) => i.breaks.length > 0) ? 1 : 0;
          }
          const text = readInput(file);
          if (text === null) return 2;
          const result = await checkFile(new ApiClient(), projectId, text, opts.channel);
          if (opts.json) console.log(JSON.stringify(result));
          else printCheck(file, result);
          const failed = result.rejected > 0 || (opts.failOn === 'flag' && result.flagged > 0) || impact.some((i) => i.breaks.length > 0);
          return failed ? 1 : 0;
        }),
      ),
    );
}

/**
 * For each `--proposed event=file`: the registered consumers that schema
 * would break, printed as it goes; null (exit 2) for an argument or file
 * that cannot be read.
 */
async function proposedImpact(api: ApiClient, projectId: string, proposed: string[]): Promise<{ event: string; breaks: ContractBreak[] }[] | null> {
  const out: { event: string; breaks: ContractBreak[] }[] = [];
  for (const arg of proposed) {
    const at = arg.lastIndexOf('=');
    if (at <= 0 || at === arg.length - 1) {
      console.error(`braid: --proposed takes <event>=<schema file>, not ${JSON.stringify(arg)}`);
      return null;
    }
    const [event, file] = [arg.slice(0, at), arg.slice(at + 1)];
    const text = readInput(file);
    if (text === null) return null;
    let schema: unknown;
    try {
      schema = JSON.parse(text);
    } catch (error) {
      console.error(`braid: ${file} is not JSON: ${(error as Error).message}`);
      return null;
    }
    const res = await api.call<{ consumers: string[]; breaks: ContractBreak[] }>('POST', `/api/projects/${encodeURIComponent(projectId)}/contracts/impact`, { event, schema });
    out.push({ event, breaks: res.breaks });
    if (res.breaks.length === 0) console.error(`${event}: breaks no registered consumer`);
    for (const b of res.breaks) console.error(`${event}: would break consumer ${b.consumer}: ${b.message}`);
  }
  return out;
}

/** Sends the file's lines in parts, keeping their line numbers, and adds up the answers. */
async function checkFile(api: ApiClient, projectId: string, text: string, channel?: string): Promise<CheckResult> {
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  const total: CheckResult = { projectId, channel: channel ?? '', checked: 0, passed: 0, flagged: 0, rejected: 0, problems: [] };
  let start = 0;
  while (start < lines.length || (start === 0 && lines.length === 0)) {
    let end = start;
    let bytes = 0;
    while (end < lines.length && end - start < CHECK_LINES_PER_REQUEST) {
      const size = Math.min((lines[end] as string).length, MAX_LINE_CHARS) * 3;
      if (end > start && bytes + size > CHECK_BYTES_PER_REQUEST) break;
      bytes += size;
      end += 1;
    }
    const part = lines.slice(start, end).map((l) => (l.length > MAX_LINE_CHARS ? l.slice(0, MAX_LINE_CHARS) : l));
    const res = await api.call<CheckResult>('POST', path(projectId, undefined, '/check'), { ndjson: part.join('\n'), firstLine: start + 1, ...(channel ? { channel } : {}) });
    total.channel = res.channel;
    total.checked += res.checked;
    total.passed += res.passed;
    total.flagged += res.flagged;
    total.rejected += res.rejected;
    total.problems.push(...res.problems);
    if (lines.length === 0) break;
    start = end;
  }
  return total;
}

function printCheck(file: string, result: CheckResult): void {
  for (const p of result.problems) console.log(describeProblem(file, p));
  const verdict = `checked ${result.checked} event${result.checked === 1 ? '' : 's'} against ${result.projectId}/${result.channel}: ${result.passed} passed, ${result.flagged} flagged, ${result.rejected} rejected`;
  console.log(verdict);
}

function describeProblem(file: string, p: CheckProblem): string {
  const what = [p.event ? JSON.stringify(p.event) : null, p.messageId].filter(Boolean).join(' ');
  const head = `${file}:${p.line}: ${p.outcome === 'rejected' ? `rejected (${p.reason})` : 'flagged'}${what ? ` ${what}` : ''}`;
  const body = p.violations.map((v) => `    ${v.rule} at ${v.path}: ${v.message}${v.policy ? ` [${v.policy}]` : ''}`);
  return [head, ...body].join('\n');
}

function readInput(file: string): string | null {
  try {
    return readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (error) {
    console.error(`braid: cannot read ${file}: ${(error as Error).message}`);
    return null;
  }
}

/** API refusals printed as their code, message and one line per detail. */
async function readably(work: () => Promise<void | number>): Promise<void | number> {
  try {
    return await work();
  } catch (error) {
    if (!(error instanceof ApiCallError)) throw error;
    console.error(`braid: ${error.code}: ${error.message}`);
    if (Array.isArray(error.details)) {
      for (const d of error.details as { path?: string; message?: string }[]) console.error(`  ${d.path ?? ''}: ${d.message ?? JSON.stringify(d)}`);
    }
    // A push that would break registered consumers names each break.
    const breaks = (error.details as { breaks?: ContractBreak[] } | undefined)?.breaks;
    if (Array.isArray(breaks)) for (const b of breaks) console.error(`  ${b.consumer}: ${b.message}`);
    return error.status === 0 ? 3 : 2;
  }
}
