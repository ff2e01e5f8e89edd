import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { join } from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { createProgram } from '../../cli/program';
import { repoRoot } from '../../runtime/paths';
import { opsFiles } from '../support/ops-names';

/** Every `braid …` line of a runbook's shell blocks: the words up to the first argument that is a value. */
function braidCommandsIn(file: string): string[][] {
  const text = readFileSync(join(repoRoot, file), 'utf8');
  const commands: string[][] = [];
  for (const block of text.matchAll(/```(?:sh|bash|shell)\n([\s\S]*?)```/g)) {
    for (const raw of (block[1] ?? '').split('\n')) {
      const line = raw.replace(/#.*$/, '').trim();
      const at = line.search(/(^|\s|\$\()(npx )?braid\s/);
      if (at < 0) continue;
      const words = line.slice(at).replace(/^\$\(/, '').trim().split(/\s+/);
      commands.push(words.slice(words[0] === 'npx' ? 2 : 1));
    }
  }
  return commands;
}

/** Walks the command tree: a missing subcommand or an option the command does not define is a finding. */
function check(program: Command, words: string[]): string | null {
  let command = program;
  let i = 0;
  while (i < words.length) {
    const sub = command.commands.find((c) => c.name() === words[i] || c.aliases().includes(words[i] as string));
    if (!sub) break;
    command = sub;
    i += 1;
  }
  if (command === program) return `no command "${words[0]}"`;
  if (command.commands.length > 0 && !command.commands.some((c) => c.name() === 'help')) {
    // A group command needs a subcommand.
    return `"${command.name()}" needs one of: ${command.commands.map((c) => c.name()).join(', ')}`;
  }
  const flags = new Set(command.options.flatMap((o) => [o.long, o.short].filter(Boolean) as string[]));
  for (const word of words.slice(i)) {
    const flag = word.split('=')[0] as string;
    if (flag.startsWith('-') && flag !== '-' && flag !== '--help' && !flags.has(flag)) return `"${command.name()}" has no option ${flag}`;
  }
  return null;
}

describe('runbooks', () => {
  const runbooks = opsFiles().filter((f) => f.startsWith('docs/runbooks/') && !f.endsWith('README.md'));
  const program = createProgram();

  it('cover the incidents operators meet', () => {
    expect(runbooks.map((f) => f.replace('docs/runbooks/', '')).sort()).toEqual(
      expect.arrayContaining([
        'erasure-request.md',
        'lagging-consumer.md',
        'nats-outage.md',
        'poison-event-storm.md',
        'postgres-outage.md',
        'replay-after-bad-rule.md',
        'temporal-outage.md',
        'wrong-identity-merge.md',
      ]),
    );
  });

  it.each(runbooks)('%s: every braid command it names exists, with the options it uses', (file) => {
    const commands = braidCommandsIn(file);
    expect(commands.length).toBeGreaterThan(0);
    const findings = commands.flatMap((words) => {
      const finding = check(program, words);
      return finding ? [`braid ${words.join(' ')}: ${finding}`] : [];
    });
    expect(findings).toEqual([]);
  });

  it('alert rules point at runbooks that exist, and runbooks name only alerts that exist', () => {
    const rules = parse(readFileSync(join(repoRoot, 'ops/prometheus/alerts.yml'), 'utf8')) as { groups: { rules: { alert: string; annotations: Record<string, string> }[] }[] };
    const alerts = rules.groups.flatMap((g) => g.rules);
    expect(alerts.length).toBeGreaterThanOrEqual(8);
    const missingRunbooks = alerts.filter((a) => !existsSync(join(repoRoot, a.annotations.runbook?.replace(/^.*?(docs\/runbooks\/)/, '$1') ?? 'none')));
    expect(missingRunbooks.map((a) => `${a.alert}: ${a.annotations.runbook}`)).toEqual([]);
    const known = new Set(alerts.map((a) => a.alert));
    const named = runbooks.flatMap((f) => [...readFileSync(join(repoRoot, f), 'utf8').matchAll(/\bBraid[A-Z][A-Za-z0-9]+/g)].map((m) => `${f}: ${m[0]}`));
    expect(named.filter((n) => !known.has(n.split(': ')[1] as string))).toEqual([]);
  });

  it.each(runbooks)('%s: has symptoms, diagnosis and fix', (file) => {
    const text = readFileSync(join(repoRoot, file), 'utf8');
    for (const section of ['Symptoms', 'Diagnosis', 'Fix']) expect(text).toMatch(new RegExp(`^#+ .*${section}`, 'm'));
  });
});
