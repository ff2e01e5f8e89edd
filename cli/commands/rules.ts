import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { ArmCounts } from '../../contracts/canary';
import { ApiClient } from '../api-client';
import { list, projectOf, runClientCommand } from '../client-command';
import { renderTable } from '../table';

interface CanaryView {
  id: string;
  status: string;
  percent: number;
  changes: Record<string, unknown>;
  rulesVersions: { control: number; canary: number };
  startedAt: string;
  endedAt: string | null;
  arms?: { control: ArmCounts; canary: ArmCounts };
  replay?: { id: string } | null;
  suggestedReplay?: { method: string; path: string; body: unknown };
}

const path = (projectId: string, rest = '') => `/api/projects/${encodeURIComponent(projectId)}/canaries${rest}`;

/** `--changes '{"sessionTimeoutMinutes": 20}'` or `--changes @change.json`. */
function readChanges(text: string): Record<string, unknown> | string {
  try {
    const parsed: unknown = JSON.parse(text.startsWith('@') ? readFileSync(text.slice(1), 'utf8') : text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : 'changes: a JSON object of settings';
  } catch (error) {
    return `changes: not JSON (${(error as Error).message})`;
  }
}

const rate = (r: number | null) => (r === null ? '-' : `${(r * 100).toFixed(1)} %`);

/** Both arms side by side: one row per figure. */
function printCanary(c: CanaryView): void {
  console.log(`canary ${c.id}: ${c.status}, ${c.percent}% of devices, rules version ${c.rulesVersions.canary} (control ${c.rulesVersions.control}), since ${c.startedAt}${c.endedAt ? ` until ${c.endedAt}` : ''}`);
  console.log(`changes: ${JSON.stringify(c.changes)}`);
  if (!c.arms) return;
  const { control, canary } = c.arms;
  const reasons = [...new Set([...Object.keys(control.rejectedByReason), ...Object.keys(canary.rejectedByReason)])].sort();
  const rows = [
    { figure: 'devices', control: control.devices, canary: canary.devices },
    { figure: 'written', control: control.written, canary: canary.written },
    { figure: 'rejected', control: control.rejected, canary: canary.rejected },
    ...reasons.map((r) => ({ figure: `  ${r}`, control: control.rejectedByReason[r] ?? 0, canary: canary.rejectedByReason[r] ?? 0 })),
    { figure: 'suppressed', control: control.suppressed, canary: canary.suppressed },
    { figure: 'sessions per device', control: control.sessionsPerDevice ?? '-', canary: canary.sessionsPerDevice ?? '-' },
    ...(control.funnel ?? []).map((step, i) => ({
      figure: `funnel ${step.step}. ${step.event}`,
      control: `${step.devices} (${rate(step.conversionRate)})`,
      canary: `${canary.funnel?.[i]?.devices ?? 0} (${rate(canary.funnel?.[i]?.conversionRate ?? null)})`,
    })),
    ...[...new Set([...Object.keys(control.nullRates), ...Object.keys(canary.nullRates)])]
      .sort()
      .map((pair) => ({ figure: `null ${pair}`, control: rate(control.nullRates[pair] ?? null), canary: rate(canary.nullRates[pair] ?? null) })),
  ];
  console.log(renderTable(rows));
}

/** `braid rules canary start|status|promote|rollback` (contract section 6). */
export function registerRules(program: Command): void {
  const rules = program.command('rules').description("a project's rules (settings that decide events)");
  const canary = rules.command('canary').description('try a rules change on a share of devices, compare the arms, then promote or roll back');
  const projectOption = '-p, --project <projectId>';

  canary
    .command('start')
    .description('start a canary: --changes takes settings as in PATCH /api/projects/:p (JSON, or @file)')
    .option(projectOption, 'the project (default: BRAID_PROJECT)')
    .requiredOption('--changes <json>', "the settings to try, e.g. '{\"trackingPlan\": {\"unplannedEvents\": \"block\"}}' or @change.json")
    .requiredOption('--percent <n>', 'the share of devices that gets the new rules, 1-99', Number)
    .option('--json', 'print JSON')
    .action((opts: { project?: string; changes: string; percent: number; json?: boolean }) =>
      runClientCommand(async () => {
        const projectId = projectOf(opts);
        if (!projectId) return 2;
        const changes = readChanges(opts.changes);
        if (typeof changes === 'string') {
          console.error(`braid: ${changes}`);
          return 2;
        }
        const res = await new ApiClient().call<CanaryView>('POST', path(projectId), { changes, percent: opts.percent });
        if (opts.json) console.log(JSON.stringify(res));
        else console.log(`canary ${res.id} started on ${res.percent}% of devices (rules version ${res.rulesVersions.canary}); watch it with: braid rules canary status ${res.id} -p ${projectId}`);
      }),
    );

  canary
    .command('status [id]')
    .description("a canary's arms side by side (without an id: the project's canaries)")
    .option(projectOption, 'the project (default: BRAID_PROJECT)')
    .option('--steps <events>', 'a funnel per arm, by device: event names separated by commas')
    .option('--window <duration>', "the funnel's conversion window (30m, 1h, 7d)", '1d')
    .option('--json', 'print JSON')
    .action((id: string | undefined, opts: { project?: string; steps?: string; window: string; json?: boolean }) =>
      runClientCommand(async () => {
        const projectId = projectOf(opts);
        if (!projectId) return 2;
        const api = new ApiClient();
        if (id === undefined) {
          const res = await api.call<{ canaries: CanaryView[] }>('GET', path(projectId));
          if (opts.json) console.log(JSON.stringify(res));
          else console.log(renderTable(res.canaries.map((c) => ({ id: c.id, status: c.status, percent: c.percent, changes: Object.keys(c.changes).join(', '), started: c.startedAt, ended: c.endedAt ?? '' }))));
          return;
        }
        const pairs: [string, string][] = opts.steps ? [...list(opts.steps).map((step): [string, string] => ['steps', step]), ['window', opts.window]] : [];
        const query = new URLSearchParams(pairs).toString();
        const res = await api.call<CanaryView>('GET', path(projectId, `/${encodeURIComponent(id)}${query ? `?${query}` : ''}`));
        if (opts.json) console.log(JSON.stringify(res));
        else printCanary(res);
      }),
    );

  canary
    .command('promote <id>')
    .description("apply the canary's rules to every device")
    .option(projectOption, 'the project (default: BRAID_PROJECT)')
    .option('--json', 'print JSON')
    .action((id: string, opts: { project?: string; json?: boolean }) =>
      runClientCommand(async () => {
        const projectId = projectOf(opts);
        if (!projectId) return 2;
        const res = await new ApiClient().call<CanaryView>('POST', path(projectId, `/${encodeURIComponent(id)}/promote`));
        if (opts.json) console.log(JSON.stringify(res));
        else printCanary(res);
      }),
    );

  canary
    .command('rollback <id>')
    .description("return the canary's devices to the current rules; --replay re-runs the canary arm's events under them")
    .option(projectOption, 'the project (default: BRAID_PROJECT)')
    .option('--replay', "start a production replay of the canary arm's events")
    .option('--json', 'print JSON')
    .action((id: string, opts: { project?: string; replay?: boolean; json?: boolean }) =>
      runClientCommand(async () => {
        const projectId = projectOf(opts);
        if (!projectId) return 2;
        const res = await new ApiClient().call<CanaryView>('POST', path(projectId, `/${encodeURIComponent(id)}/rollback`), { replay: opts.replay === true });
        if (opts.json) {
          console.log(JSON.stringify(res));
          return;
        }
        printCanary(res);
        if (res.replay) console.log(`replay ${res.replay.id} re-runs the canary arm's events; follow it with: braid replay status ${res.replay.id} --watch`);
        else if (res.suggestedReplay) console.log(`to re-run the canary arm's events under the restored rules: ${res.suggestedReplay.method} ${res.suggestedReplay.path} ${JSON.stringify(res.suggestedReplay.body)}`);
      }),
    );
}
