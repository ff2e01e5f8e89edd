// `npm run db:views [-- --name <migration name>]`: derives a custom drizzle migration from db/views.
//
// A scratch database (braid_views_<random>) is migrated from scratch with the committed
// migrations; where its analytics views and functions (or the analysts' grants) differ from what
// db/views yields, the difference becomes a new migration, written into the file
// `drizzle-kit generate --custom` prepares. Nothing differs: nothing is written.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { MIGRATIONS_FOLDER } from '../db/migrate';
import { deriveViewMigration, loadViewFiles, withScratchDatabase, type ViewMigrationPlan } from '../db/views-as-code';
import { loadConfig } from '../runtime/config';
import { createLogger } from '../runtime/logger';
import { ensurePostgres } from '../runtime/services/postgres';

const root = join(__dirname, '..');
const journalPath = join(MIGRATIONS_FOLDER, 'meta', '_journal.json');

interface Journal {
  entries: { idx: number; when: number; tag: string }[];
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { name: { type: 'string', default: 'views' } } });
  const name = values.name as string;
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`--name must be snake_case (a-z, 0-9, _), got ${name}`);

  const config = loadConfig();
  await ensurePostgres(config.DATABASE_URL, createLogger('warn', 'braid-views'));
  const files = loadViewFiles();
  const { plan } = await withScratchDatabase(config.DATABASE_URL, (client) => deriveViewMigration(client, files));
  if (plan.statements.length === 0) {
    console.log(`db/views (${files.length} views and functions) matches what the migrations yield: nothing to do`);
    return;
  }

  const before = readJournal();
  execFileSync(join(root, 'node_modules', '.bin', 'drizzle-kit'), ['generate', '--custom', '--name', name], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  const journal = readJournal();
  const entry = journal.entries.at(-1);
  const previous = before.entries.at(-1);
  if (!entry || journal.entries.length !== before.entries.length + 1) throw new Error('drizzle-kit generate --custom added no migration to the journal');
  // The migrator applies a migration only when it is newer than the last one applied.
  if (previous && entry.when <= previous.when) {
    entry.when = previous.when + 1;
    writeFileSync(journalPath, `${JSON.stringify(journal, null, 2)}`);
  }
  const file = join(MIGRATIONS_FOLDER, `${entry.tag}.sql`);
  writeFileSync(file, migrationSql(plan));
  console.log(`wrote db/migrations/${entry.tag}.sql: ${summary(plan)}`);
}

function readJournal(): Journal {
  return JSON.parse(readFileSync(journalPath, 'utf8')) as Journal;
}

function summary(plan: ViewMigrationPlan): string {
  const parts = [
    ['created', plan.created],
    ['replaced', plan.replaced],
    ['dropped and created again', plan.rebuilt],
    ['dropped', plan.dropped],
  ] as const;
  const said = parts.filter(([, names]) => names.length > 0).map(([verb, names]) => `${verb} ${names.map((n) => `analytics.${n}`).join(', ')}`);
  if (plan.access.length > 0) said.push(`analysts' access brought up to date on ${plan.access.join(', ')}`);
  return said.join('; ');
}

/** Words in lines of at most 100 characters. */
function wrap(text: string, width = 97): string[] {
  const lines: string[] = [];
  for (const word of text.split(' ')) {
    const last = lines.at(-1);
    if (last !== undefined && last.length + 1 + word.length <= width) lines[lines.length - 1] = `${last} ${word}`;
    else lines.push(word);
  }
  return lines;
}

function migrationSql(plan: ViewMigrationPlan): string {
  const header = [
    '-- Derived from db/views by `npm run db:views` (scripts/derive-view-migration.ts): what db/views',
    '-- says and the earlier migrations did not yield. braid.apply_analyst_access() ends it (grants,',
    '-- row-level security, security_invoker).',
    ...wrap(`${summary(plan)}.`).map((line) => `-- ${line}`),
  ].join('\n');
  return `${header}\n${plan.statements.join('\n--> statement-breakpoint\n')}\n`;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
