import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  compareWithFiles,
  deriveViewMigration,
  loadViewFiles,
  readAnalystAccess,
  readAnalyticsState,
  VIEWS_FOLDER,
  withScratchDatabase,
  type AnalyticsState,
  type ViewMigrationPlan,
  type ViewsComparison,
} from '../../db/views-as-code';
import { loadConfig } from '../../runtime/config';

// The run's own database, migrated by the global setup.
Object.assign(process.env, inject('testEnv'));

const FIX = 'edit db/views/<name>.sql and run `npm run db:views` (a migration that changes a view needs its file, and a file its migration)';

/**
 * db/views holds the one definition of every analytics view and function: the test database,
 * migrated with the committed migrations, has exactly what the files say (definitions, options,
 * comments), and analysts' access is what braid.apply_analyst_access() gives. What the files
 * yield is read from a scratch database, so the test database is only read.
 */
describe('views as code', () => {
  const files = loadViewFiles();
  let database: AnalyticsState;
  let databaseAccess: string[];
  let fromFiles: ViewsComparison;
  let edited: ViewMigrationPlan;
  let revoked: ViewMigrationPlan;
  const editedFolder = mkdtempSync(join(tmpdir(), 'braid-views-'));

  beforeAll(async () => {
    const url = loadConfig().DATABASE_URL;
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      database = await readAnalyticsState(client);
      databaseAccess = await readAnalystAccess(client);
    } finally {
      await client.end();
    }
    editViews(editedFolder);
    await withScratchDatabase(url, async (scratch) => {
      fromFiles = await compareWithFiles(scratch, files);
      // deriveViewMigration applies its migration to the scratch database and fails unless that
      // yields exactly what the edited files say.
      edited = (await deriveViewMigration(scratch, loadViewFiles(editedFolder))).plan;
      // a grant lost without any view changing
      await scratch.query('REVOKE SELECT ON analytics.events FROM braid_analyst');
      revoked = (await deriveViewMigration(scratch, files)).plan;
    });
  });
  afterAll(() => rmSync(editedFolder, { recursive: true, force: true }));

  it('has a file for every view and function in schema analytics, and an object for every file', () => {
    expect([...database.keys()].sort(), FIX).toEqual(files.map((f) => f.name).sort());
    expect(files.length).toBeGreaterThanOrEqual(24);
  });

  it('has every analytics view and function defined as its file says', () => {
    for (const [name, object] of database) {
      expect(object, `analytics.${name}: ${FIX}`).toEqual(fromFiles.target.get(name));
    }
    // what the files yield on the scratch database equals what its migrations made there, too
    expect([...fromFiles.current.values()]).toEqual([...fromFiles.target.values()]);
  });

  it('gives analysts what braid.apply_analyst_access() gives: every view security_invoker, grants and row-level security current', () => {
    for (const object of database.values()) if (object.kind === 'view') expect({ view: object.name, options: object.options }).toEqual({ view: object.name, options: ['security_invoker=true'] });
    expect(databaseAccess, 'a migration changed what analysts read without SELECT braid.apply_analyst_access()').toEqual(fromFiles.targetAccess);
  });

  it('derives a migration that drops and re-creates the readers of a view whose columns change, replaces, creates and drops', () => {
    expect({ ...edited, statements: edited.statements.length > 0 }).toEqual({
      statements: true,
      created: ['session_counts'],
      replaced: ['lineage', 'time_to_convert'],
      rebuilt: ['active_persons_daily', 'active_persons_weekly', 'events', 'feature_adoption', 'identity_candidates'],
      dropped: ['consent'],
      access: [],
    });
    const at = (prefix: string) => edited.statements.findIndex((s) => s.includes(prefix));
    // readers go before what they read, and come back after it
    expect(at('DROP VIEW analytics.identity_candidates;')).toBeLessThan(at('DROP VIEW analytics.events;'));
    expect(at('DROP VIEW analytics.active_persons_daily;')).toBeLessThan(at('DROP VIEW analytics.events;'));
    expect(at('VIEW analytics.events WITH')).toBeLessThan(at('VIEW analytics.identity_candidates WITH'));
    expect(at('DROP FUNCTION analytics.feature_adoption(')).toBeGreaterThanOrEqual(0);
    expect(edited.statements.at(-1)).toBe('SELECT braid.apply_process_access();');
  });

  it('derives a migration that only re-applies analysts\' access when a grant went missing', () => {
    expect(revoked).toEqual({ statements: ['SELECT braid.apply_analyst_access();', 'SELECT braid.apply_process_access();'], created: [], replaced: [], rebuilt: [], dropped: [], access: ['analytics.events'] });
  });
});

/** A copy of db/views with one change of each kind. */
function editViews(folder: string): void {
  cpSync(VIEWS_FOLDER, folder, { recursive: true });
  const edit = (name: string, from: string, to: string) => {
    const file = join(folder, `${name}.sql`);
    const sql = readFileSync(file, 'utf8');
    if (!sql.includes(from)) throw new Error(`${name}.sql has no ${from}`);
    writeFileSync(file, sql.replace(from, to));
  };
  edit('events', '  e.traits,\n', ''); // a column less: events and every view reading it are re-created
  edit('lineage', '  l.rules_version\n', '  l.rules_version,\n  l.id AS lineage_id\n'); // a column more, at the end: replaced
  edit('time_to_convert', '#variable_conflict use_column\n', '#variable_conflict use_column\n-- edited\n'); // body only: replaced
  edit('feature_adoption', 'to_time timestamptz)', 'to_time timestamptz DEFAULT now())'); // arguments: dropped and created
  rmSync(join(folder, 'consent.sql'));
  writeFileSync(
    join(folder, 'session_counts.sql'),
    'CREATE OR REPLACE VIEW analytics.session_counts WITH (security_invoker = true) AS\nSELECT s.project_id, count(*) AS sessions FROM analytics.sessions s GROUP BY s.project_id;\n',
  );
}
