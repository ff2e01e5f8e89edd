import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grantAnalystProject, revokeAnalystProject } from '../../db/analyst-access';
import { writeDrain } from '../../activities/canonical-events';
import type { CanonicalDraft } from '../../activities/canonical-events.types';
import { createPool, PROCESS_ROLES } from '../../db/client';
import { createProject } from '../../db/projects';
import { deviceKey } from '../../rules/session-key';
import { loadConfig } from '../../runtime/config';
import { createLogger } from '../../runtime/logger';
import { uniqueId } from '../support/stack';

const run = promisify(execFile);
const PROCESS_ROLE_NAMES = Object.values(PROCESS_ROLES);
const repoRoot = join(__dirname, '..', '..');
const log = createLogger('silent');

/**
 * Roles and tenant isolation on the real Postgres: a member of braid_analyst
 * granted project A reads A, and not one row of project B, through every
 * analytics view and function; raw PII columns are refused; other roles and
 * the owner are unaffected. Roles are switched with SET LOCAL ROLE inside a
 * transaction that is rolled back.
 */
describe('analyst roles and row-level security', () => {
  const projectA = uniqueId('rla');
  const projectB = uniqueId('rlb');
  const analyst = uniqueId('analyst_');
  const member = uniqueId('member_'); // a member of `analyst`: inherits its grants
  const analystB = uniqueId('analyst_');
  const operator = uniqueId('operator_');
  const cliRole = uniqueId('cli_');
  const roles = [member, analyst, analystB, operator, cliRole];
  let pool: pg.Pool;
  let sequence = 9_000_000_000_000 + Math.floor(Math.random() * 1e9) * 1000; // far from any real stream position
  const T = Date.parse('2026-06-01T12:00:00.000Z');
  const at = (minutes: number) => new Date(T + minutes * 60_000).toISOString();
  const range = [at(-60), at(24 * 60)];

  const chrome = { ip: '203.0.113.7', userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36' };
  const story = (projectId: string): CanonicalDraft[] => {
    const d = (messageId: string, channel: string, minutes: number, fields: Partial<CanonicalDraft>): CanonicalDraft => ({
      projectId,
      channel,
      messageId,
      type: 'track',
      properties: {},
      traits: {},
      context: {},
      eventTime: at(minutes),
      receivedAt: at(minutes),
      source: { stream: 'BRAID_RAW', sequence: ++sequence, subject: `braid.raw.${projectId}.${channel}` },
      transforms: [],
      flags: [],
      deviceKey: deviceKey({ anonymousId: fields.anonymousId, userId: fields.userId }),
      ...fields,
    });
    return [
      d('view-1', 'web', 0, { anonymousId: 'w1', event: 'Product Viewed', context: chrome }),
      d('login-1', 'web', 1, { type: 'identify', anonymousId: 'w1', userId: 'u1', context: chrome }),
      d('order-1', 'backend', 10, { userId: 'u1', event: 'Order Completed' }),
      d('view-2', 'web', 2, { userId: 'u2', event: 'Product Viewed', context: { ...chrome, consent: { categoryPreferences: { analytics: true } } } }),
      d('order-3', 'mobile', 3, { userId: 'u3', event: 'order_completed', context: { app: { version: '3.1' } } }),
      d('denied-9', 'web', 4, { anonymousId: 'w9', event: 'Product Viewed', context: { consent: { categoryPreferences: { analytics: false } } } }),
    ];
  };

  const seed = async (projectId: string) => {
    await createProject(pool, { projectId, name: 'isolation' });
    const byDevice = new Map<string, CanonicalDraft[]>();
    for (const e of story(projectId)) byDevice.set(`${e.channel}|${e.deviceKey}`, [...(byDevice.get(`${e.channel}|${e.deviceKey}`) ?? []), e]);
    for (const events of byDevice.values()) await writeDrain(pool, log, { workflowId: 'wf-isolation', runId: 'run', sessionTimeoutMs: 30 * 60_000, events });
    await pool.query(
      `INSERT INTO braid.rejected_events (project_id, channel, subject, received_at, message_id, reason, details, payload, source_stream, source_sequence)
       VALUES ($1, 'web', $2, $3, 'bad-1', 'invalid_json', '{"message": "not JSON"}', '{"traits": {"email": "secret@example.com"}}', 'BRAID_RAW', $4)`,
      [projectId, `braid.raw.${projectId}.web`, at(5), ++sequence],
    );
    await pool.query(
      `INSERT INTO braid.schema_changelog (project_id, event_key, version, change, author, summary, diff)
       VALUES ($1, 'Order Completed', '1-0-0', 'initial', 'test', 'first version', '{}')`,
      [projectId],
    );
  };

  /** One query as `role`, in a transaction rolled back afterwards. */
  const as = async (role: string, sql: string, params: unknown[] = []) => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(`SET LOCAL ROLE ${client.escapeIdentifier(role)}`);
      return await client.query(sql, params);
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  };
  const refusal = (role: string, sql: string, params: unknown[] = []) =>
    as(role, sql, params).then(
      () => null,
      (e: unknown) => (e as { code?: string }).code ?? 'no code',
    );

  beforeAll(async () => {
    pool = createPool(loadConfig().DATABASE_URL, 6);
    await seed(projectA);
    await seed(projectB);
    await grantAnalystProject(pool, analyst, projectA);
    await grantAnalystProject(pool, analystB, projectB);
    await pool.query(`CREATE ROLE ${member} NOLOGIN IN ROLE ${analyst}`);
    await pool.query(`CREATE ROLE ${operator} NOLOGIN IN ROLE braid_operator`);
  });
  afterAll(async () => {
    if (pool) {
      await pool.query('DELETE FROM braid.analyst_grants WHERE role_name = ANY($1)', [roles]);
      for (const role of roles) {
        const exists = await pool.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
        if (exists.rowCount) await pool.query(`DROP OWNED BY ${role}; DROP ROLE ${role}`);
      }
      await pool.end();
    }
  });

  /** Views with a project_id column, found in the catalog so a view added later is covered too. */
  const projectViews = async () =>
    (
      await pool.query<{ name: string }>(
        `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'analytics' AND c.relkind = 'v'
           AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'project_id' AND NOT a.attisdropped)
         ORDER BY 1`,
      )
    ).rows.map((r) => r.name);
  // The views that carry raw PII columns, which braid_analyst may not read at all.
  const PII_VIEWS = ['rejected_events'];
  // Every view the story above puts rows into, for both projects.
  const SEEDED = [
    'accounting', 'active_persons_daily', 'active_persons_weekly', 'analyst_grants', 'consent', 'consent_suppressions', 'data_quality',
    'event_name_collisions', 'events', 'identities', 'identity_candidates', 'identity_links', 'ingestion_health', 'lineage', 'rejected_events',
    'rejections', 'schema_changelog', 'sessions',
  ];
  const countsByProject = async (role: string | null, view: string) => {
    const sql = `SELECT count(*) FILTER (WHERE project_id = $1)::int AS a, count(*) FILTER (WHERE project_id = $2)::int AS b,
                        count(*) FILTER (WHERE project_id IS DISTINCT FROM $1)::int AS not_a
                 FROM analytics.${view}`;
    const res = role ? await as(role, sql, [projectA, projectB]) : await pool.query(sql, [projectA, projectB]);
    return res.rows[0] as { a: number; b: number; not_a: number };
  };

  it('makes every analytics view security_invoker and every analytics function a STABLE SECURITY INVOKER with a pinned search_path', async () => {
    const views = await pool.query(
      `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = 'analytics' AND c.relkind = 'v' AND NOT coalesce('security_invoker=true' = ANY (c.reloptions), false)`,
    );
    expect(views.rows).toEqual([]);
    const functions = await pool.query<{ proname: string; prosecdef: boolean; provolatile: string; proconfig: string[] | null; lanname: string }>(
      `SELECT p.proname, p.prosecdef, p.provolatile, p.proconfig, l.lanname FROM pg_proc p
       JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_language l ON l.oid = p.prolang WHERE n.nspname = 'analytics' ORDER BY 1`,
    );
    expect(functions.rows.map((f) => f.proname)).toEqual(expect.arrayContaining(['feature_adoption', 'funnel', 'funnel_by_channel', 'funnel_persons', 'journey', 'time_to_convert']));
    for (const f of functions.rows) {
      expect({ name: f.proname, definer: f.prosecdef, volatility: f.provolatile, language: ['sql', 'plpgsql'].includes(f.lanname) }).toEqual({
        name: f.proname,
        definer: false,
        volatility: 's',
        language: true,
      });
      expect(f.proconfig).toContain('search_path=pg_catalog, analytics, pg_temp');
    }
  });

  it('creates the group roles without login, and gives analysts no table of braid but their grants', async () => {
    const groups = await pool.query(
      `SELECT rolname, rolcanlogin, rolbypassrls, rolcreaterole, rolsuper FROM pg_roles WHERE rolname = ANY ($1) ORDER BY 1`,
      [['braid_analyst', 'braid_operator', ...PROCESS_ROLE_NAMES]],
    );
    expect(groups.rows).toEqual(
      ['braid_analyst', 'braid_api', 'braid_ingest', 'braid_operator', 'braid_worker'].map((rolname) => ({ rolname, rolcanlogin: false, rolbypassrls: false, rolcreaterole: false, rolsuper: false })),
    );
    const tables = await pool.query(
      `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = 'braid' AND c.relkind IN ('r', 'p') AND has_table_privilege('braid_analyst', c.oid, 'SELECT') ORDER BY 1`,
    );
    expect(tables.rows).toEqual([{ relname: 'analyst_grants' }]);
    const privileges = await pool.query(`SELECT
        has_schema_privilege('braid_analyst', 'braid', 'USAGE') AS braid_usage,
        has_schema_privilege('braid_analyst', 'analytics', 'USAGE') AS analytics_usage,
        has_column_privilege('braid_analyst', 'braid.rejected_events', 'reason', 'SELECT') AS reason,
        has_column_privilege('braid_analyst', 'braid.rejected_events', 'payload', 'SELECT') AS payload,
        has_column_privilege('braid_analyst', 'braid.rejected_events', 'details', 'SELECT') AS details,
        has_any_column_privilege('braid_analyst', 'braid.project_secrets', 'SELECT') AS secrets,
        has_table_privilege('braid_analyst', 'braid.canonical_events', 'INSERT') AS insert_events`);
    expect(privileges.rows[0]).toEqual({ braid_usage: false, analytics_usage: true, reason: true, payload: false, details: false, secrets: false, insert_events: false });
  });

  it('the owner sees both projects in every view the story fills (the control)', async () => {
    for (const view of SEEDED) {
      const counts = await countsByProject(null, view);
      expect({ view, a: counts.a > 0, b: counts.b > 0 }).toEqual({ view, a: true, b: true });
    }
  });

  it('an analyst granted A reads A and not one row of B (or of any other project) through every view', async () => {
    const views = await projectViews();
    expect(views).toEqual(expect.arrayContaining(SEEDED));
    for (const view of views) {
      if (PII_VIEWS.includes(view)) {
        expect({ view, refused: await refusal(analyst, `SELECT count(*) FROM analytics.${view}`) }).toEqual({ view, refused: '42501' });
        continue;
      }
      const counts = await countsByProject(analyst, view);
      expect({ view, b: counts.b, others: counts.not_a }).toEqual({ view, b: 0, others: 0 });
      if (SEEDED.includes(view)) expect({ view, seesA: counts.a > 0 }).toEqual({ view, seesA: true });
    }
  });

  it('a member of the granted role inherits A, and the analyst of B sees B only', async () => {
    expect(await countsByProject(member, 'events')).toEqual({ a: 5, b: 0, not_a: 0 });
    const b = await countsByProject(analystB, 'events');
    expect({ a: b.a, b: b.b }).toEqual({ a: 0, b: 5 });
  });

  // $1 project, $2 from, $3 to, $4 a person of the project
  const functionCalls: { name: string; sql: string }[] = [
    { name: 'funnel', sql: `SELECT coalesce(sum(persons), 0)::int AS n FROM analytics.funnel($1, ARRAY['Product Viewed', 'Order Completed'], $2, $3, interval '1 day')` },
    { name: 'funnel_by_channel', sql: `SELECT coalesce(sum(persons), 0)::int AS n FROM analytics.funnel_by_channel($1, ARRAY['Product Viewed', 'Order Completed'], $2, $3, interval '1 day')` },
    { name: 'funnel_persons', sql: `SELECT count(*)::int AS n FROM analytics.funnel_persons($1, ARRAY['Product Viewed', 'Order Completed'], $2, $3, interval '1 day')` },
    { name: 'time_to_convert', sql: `SELECT started::int AS n FROM analytics.time_to_convert($1, 'Product Viewed', 'Order Completed', $2, $3, interval '1 day')` },
    { name: 'feature_adoption', sql: `SELECT coalesce(sum(active_persons), 0)::int AS n FROM analytics.feature_adoption($1, 'order_completed', $2, $3)` },
    { name: 'journey', sql: `SELECT count(*)::int AS n FROM analytics.journey($1, $4) WHERE $2::timestamptz < $3::timestamptz` }, // every event, whatever the range
  ];

  it('an analyst granted A gets nothing of B from every analytics function', async () => {
    const functions = await pool.query<{ proname: string }>(`SELECT DISTINCT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'analytics' ORDER BY 1`);
    expect(functionCalls.map((f) => f.name).sort()).toEqual(functions.rows.map((r) => r.proname));
    const personOf = async (projectId: string) =>
      (await pool.query(`SELECT person_id FROM analytics.identities WHERE project_id = $1 AND kind = 'user' AND id = 'u1'`, [projectId])).rows[0].person_id as string;
    const [personA, personB] = [await personOf(projectA), await personOf(projectB)];
    for (const { name, sql } of functionCalls) {
      const used = Math.max(...[...sql.matchAll(/\$(\d)/g)].map((m) => Number(m[1])));
      const [forA, forB] = [[projectA, ...range, personA].slice(0, used), [projectB, ...range, personB].slice(0, used)];
      const owner = (await pool.query(sql, forB)).rows[0].n as number;
      const ofB = (await as(analyst, sql, forB)).rows[0].n as number;
      const ofA = (await as(analyst, sql, forA)).rows[0].n as number;
      expect({ name, ownerSeesB: owner > 0, analystSeesB: ofB, analystSeesA: ofA > 0 }).toEqual({ name, ownerSeesB: true, analystSeesB: 0, analystSeesA: true });
    }
  });

  it('refuses raw PII: rejected payloads and details, project secrets, braid tables by name', async () => {
    expect(await refusal(analyst, `SELECT payload FROM analytics.rejected_events WHERE project_id = $1`, [projectA])).toBe('42501');
    expect(await refusal(analyst, `SELECT details FROM analytics.rejected_events WHERE project_id = $1`, [projectA])).toBe('42501');
    expect(await refusal(analyst, `SELECT payload FROM braid.rejected_events`)).toBe('42501');
    expect(await refusal(analyst, `SELECT * FROM braid.project_secrets`)).toBe('42501');
    expect(await refusal(analyst, `SELECT * FROM braid.canonical_events`)).toBe('42501');
    // the same rejections without their content
    const rejections = await as(analyst, `SELECT project_id, message_id, reason FROM analytics.rejections`);
    expect(rejections.rows).toEqual([{ project_id: projectA, message_id: 'bad-1', reason: 'invalid_json' }]);
  });

  it('an analyst cannot grant itself a project or write anything', async () => {
    expect(await refusal(analyst, `INSERT INTO braid.analyst_grants (role_name, project_id) VALUES (current_user, $1)`, [projectB])).toBe('42501');
    expect(await refusal(analyst, `DELETE FROM analytics.identities WHERE project_id = $1`, [projectA])).toBe('42501');
    const grants = await as(analyst, `SELECT role_name, project_id FROM analytics.analyst_grants`);
    expect(grants.rows).toEqual([{ role_name: analyst, project_id: projectA }]);
  });

  it('operators and the owner are unaffected by row-level security', async () => {
    const events = await as(operator, `SELECT count(*) FILTER (WHERE project_id = $1)::int AS a, count(*) FILTER (WHERE project_id = $2)::int AS b FROM analytics.events`, [projectA, projectB]);
    expect(events.rows[0]).toEqual({ a: 5, b: 5 });
    const payloads = await as(operator, `SELECT payload->'traits'->>'email' AS email FROM analytics.rejected_events WHERE project_id = $1`, [projectB]);
    expect(payloads.rows).toEqual([{ email: 'secret@example.com' }]);
    expect((await countsByProject(null, 'events')).b).toBe(5);
  });

  it('`braid analyst grant` and `revoke` change what a role reads; bad input exits 2', async () => {
    const env = { ...process.env, BRAID_LOG_LEVEL: 'silent' };
    const braid = join(repoRoot, 'bin', 'braid.js');
    const granted = await run(process.execPath, [braid, 'analyst', 'grant', cliRole, projectB], { env, cwd: repoRoot });
    expect(granted.stdout).toContain(`created role ${cliRole}`);
    expect(granted.stdout).toContain(`granted project ${projectB} to role ${cliRole}`);
    expect(await countsByProject(cliRole, 'events')).toEqual({ a: 0, b: 5, not_a: 5 });

    const unknown = await run(process.execPath, [braid, 'analyst', 'grant', cliRole, 'no-such-project'], { env, cwd: repoRoot }).then(
      () => null,
      (e: { code?: number; stderr?: string }) => e,
    );
    expect(unknown?.code).toBe(2);
    expect(unknown?.stderr).toContain('unknown project no-such-project');

    const revoked = await run(process.execPath, [braid, 'analyst', 'revoke', cliRole, projectB], { env, cwd: repoRoot });
    expect(revoked.stdout).toContain(`revoked project ${projectB} from role ${cliRole}`);
    expect(await countsByProject(cliRole, 'events')).toEqual({ a: 0, b: 0, not_a: 0 });
  });

  it('revoking the grant takes the project away at once', async () => {
    expect(await grantAnalystProject(pool, analyst, projectA)).toEqual({ roleCreated: false, joinedAnalysts: false, alreadyGranted: true });
    expect(await revokeAnalystProject(pool, analyst, projectA)).toBe(true);
    expect(await countsByProject(analyst, 'events')).toEqual({ a: 0, b: 0, not_a: 0 });
    expect(await countsByProject(member, 'sessions')).toEqual({ a: 0, b: 0, not_a: 0 });
    expect(await revokeAnalystProject(pool, analyst, projectA)).toBe(false);
  });

  // ─── braid's own processes ─────────────────────────────────────────────────────────────────────
  it('the API role reads every analytics view and function for every project; ingest none, the worker only events (for the lake)', async () => {
    for (const view of await projectViews()) {
      // The API sees what the owner sees.
      expect({ view, api: await countsByProject(PROCESS_ROLES.api, view) }).toEqual({ view, api: await countsByProject(null, view) });
      expect({ view, refused: await refusal(PROCESS_ROLES.ingest, `SELECT count(*) FROM analytics.${view}`) }).toEqual({ view, refused: '42501' });
      const worker = view === 'events' ? await countsByProject(PROCESS_ROLES.worker, view) : await refusal(PROCESS_ROLES.worker, `SELECT count(*) FROM analytics.${view}`);
      expect({ view, worker }).toEqual({ view, worker: view === 'events' ? { a: 5, b: 5, not_a: expect.any(Number) } : '42501' });
    }
    for (const { name, sql } of functionCalls) {
      const used = Math.max(...[...sql.matchAll(/\$(\d)/g)].map((m) => Number(m[1])));
      const person = (await pool.query(`SELECT person_id FROM analytics.identities WHERE project_id = $1 AND kind = 'user' AND id = 'u1'`, [projectB])).rows[0].person_id as string;
      const forB = [projectB, ...range, person].slice(0, used);
      const ofB = (await as(PROCESS_ROLES.api, sql, forB)).rows[0].n as number;
      expect({ name, apiSeesB: ofB > 0 }).toEqual({ name, apiSeesB: true });
      for (const role of [PROCESS_ROLES.ingest, PROCESS_ROLES.worker]) expect({ name, role, refused: await refusal(role, sql, forB) }).toEqual({ name, role, refused: '42501' });
    }
  });

  /** What each process may do to braid's tables: [table, privilege, allowed] per role. */
  const PROCESS_PRIVILEGES: Record<string, [string, 'SELECT' | 'INSERT' | 'UPDATE' | 'DELETE' | 'TRUNCATE', boolean][]> = {
    braid_ingest: [
      ['receipts', 'INSERT', true], ['rejected_events', 'INSERT', true], ['duplicates', 'INSERT', true], ['staged_events', 'DELETE', true],
      ['projects', 'SELECT', true], ['write_keys', 'SELECT', true],
      ['canonical_events', 'INSERT', false], ['lineage', 'INSERT', false], ['identities', 'UPDATE', false], ['projects', 'UPDATE', false],
      ['api_tokens', 'SELECT', false], ['project_secrets', 'SELECT', false], ['analyst_grants', 'INSERT', false], ['audit_log', 'SELECT', false],
      ['receipts', 'TRUNCATE', false],
    ],
    braid_worker: [
      ['canonical_events', 'INSERT', true], ['canonical_events', 'DELETE', true], ['lineage', 'INSERT', true], ['identities', 'UPDATE', true],
      ['sessions', 'UPDATE', true], ['operations', 'UPDATE', true], ['audit_log', 'INSERT', true], ['write_keys', 'SELECT', true],
      ['write_keys', 'UPDATE', false], ['api_tokens', 'SELECT', false], ['analyst_grants', 'UPDATE', false], ['audit_log', 'DELETE', false],
      ['canonical_events', 'TRUNCATE', false],
    ],
    braid_api: [
      ['projects', 'INSERT', true], ['write_keys', 'UPDATE', true], ['api_tokens', 'INSERT', true], ['operations', 'INSERT', true],
      ['audit_log', 'INSERT', true], ['consent_records', 'INSERT', true], ['canonical_events', 'SELECT', true],
      ['identity_links', 'INSERT', true], ['identities', 'UPDATE', true],
      ['canonical_events', 'INSERT', false], ['canonical_events', 'DELETE', false], ['lineage', 'INSERT', false], ['sessions', 'UPDATE', false],
      ['audit_log', 'DELETE', false], ['analyst_grants', 'INSERT', false], ['projects', 'TRUNCATE', false],
    ],
  };

  it('gives each process role the table privileges its work needs and no others', async () => {
    for (const [role, expectations] of Object.entries(PROCESS_PRIVILEGES)) {
      for (const [table, privilege, allowed] of expectations) {
        const res = await pool.query('SELECT has_table_privilege($1, $2, $3) AS ok', [role, `braid.${table}`, privilege]);
        expect({ role, table, privilege, allowed: res.rows[0].ok }).toEqual({ role, table, privilege, allowed });
      }
    }
  });

  it('no process role can change a definition, create a role or bypass row-level security, and all of them see every project', async () => {
    for (const role of PROCESS_ROLE_NAMES) {
      expect({ role, refused: await refusal(role, 'CREATE TABLE braid.intruder (x int)') }).toEqual({ role, refused: '42501' });
      expect({ role, refused: await refusal(role, 'ALTER TABLE braid.canonical_events ADD COLUMN intruder int') }).toEqual({ role, refused: '42501' });
      expect({ role, refused: await refusal(role, `CREATE ROLE ${uniqueId('intruder_')}`) }).toEqual({ role, refused: '42501' });
      expect({ role, refused: await refusal(role, 'DROP TABLE braid.receipts') }).toEqual({ role, refused: '42501' });
      // Row-level security restricts analysts only: a process sees both projects' rows in braid's own tables.
      const seen = await as(role, `SELECT count(DISTINCT project_id) FILTER (WHERE project_id IN ($1, $2))::int AS n FROM braid.schema_changelog`, [projectA, projectB]);
      expect({ role, projects: seen.rows[0].n }).toEqual({ role, projects: 2 });
    }
    // A new month's partition is created on a process's behalf (braid.ensure_event_partitions runs as its owner).
    for (const role of [PROCESS_ROLES.ingest, PROCESS_ROLES.worker]) {
      expect((await as(role, `SELECT braid.ensure_event_partitions('2031-01-01', '2031-01-01') >= 0 AS ok`)).rows[0]).toEqual({ ok: true });
    }
  });
});
