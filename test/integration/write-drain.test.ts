import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeDrain } from '../../activities/canonical-events';
import type { CanonicalDraft } from '../../activities/canonical-events.types';
import { createPool } from '../../db/client';
import { getAccounting } from '../../db/accounting';
import { createProject } from '../../db/projects';
import { loadConfig } from '../../runtime/config';
import { createLogger } from '../../runtime/logger';
import { uniqueId } from '../support/stack';
import type pg from 'pg';

/** The session workflow's write activity against the real Postgres: idempotence and bad rows. */
describe('writeDrain', () => {
  const projectId = uniqueId('drain');
  const log = createLogger('silent');
  let pool: pg.Pool;
  let seq = 5_000_000;
  const draft = (messageId: string, overrides: Partial<CanonicalDraft> = {}): CanonicalDraft => ({
    projectId,
    channel: 'web',
    messageId,
    type: 'track',
    event: 'Item Viewed',
    anonymousId: 'dev-1',
    properties: {},
    traits: {},
    context: {},
    eventTime: '2026-05-01T10:00:00.000Z',
    receivedAt: '2026-05-01T10:00:01.000Z',
    source: { stream: `TEST_${projectId}`, sequence: ++seq, subject: `braid.raw.${projectId}.web` }, // a stream of its own: positions are unique per stream
    transforms: [],
    flags: [],
    deviceKey: 'a:dev-1',
    ...overrides,
  });
  const write = (events: CanonicalDraft[]) => writeDrain(pool, log, { workflowId: 'wf', runId: 'run', sessionTimeoutMs: 30 * 60_000, events });
  const count = async (table: string) => (await pool.query(`SELECT count(*)::int AS n FROM ${table} WHERE project_id = $1`, [projectId])).rows[0].n as number;

  beforeAll(async () => {
    pool = createPool(loadConfig().DATABASE_URL, 4);
    await createProject(pool, { projectId, name: 'drain' });
  });
  afterAll(async () => {
    await pool?.end();
  });

  it('writes once however often the same drain is retried', async () => {
    const events = [draft('a'), draft('b')];
    expect(await write(events)).toEqual({ written: 2, duplicates: 0, alreadyWritten: 0, suppressed: 0, held: [] });
    expect(await write(events)).toEqual({ written: 0, duplicates: 0, alreadyWritten: 2, suppressed: 0, held: [] });
    expect(await count('braid.canonical_events')).toBe(2);
    expect(await count('braid.lineage')).toBe(2);
  });

  it('counts a messageId from another stream position as a duplicate, once', async () => {
    const again = draft('a');
    const inBatch = [draft('c'), draft('c')];
    expect(await write([again, ...inBatch])).toEqual({ written: 1, duplicates: 2, alreadyWritten: 0, suppressed: 0, held: [] });
    expect(await write([again])).toEqual({ written: 0, duplicates: 0, alreadyWritten: 0, suppressed: 0, held: [] });
    expect(await count('braid.duplicates')).toBe(2);
  });

  it('turns a row Postgres refuses into an unwritable_event rejection and writes the rest', async () => {
    const bad = draft('bad', { eventTime: 'not a time' });
    const good = draft('good', { eventTime: '2026-05-01T10:05:00.000Z' });
    expect(await write([bad, good])).toEqual({ written: 1, duplicates: 0, alreadyWritten: 0, suppressed: 0, held: [] });
    const rejected = await pool.query(`SELECT reason, details->>'code' AS code FROM braid.rejected_events WHERE project_id = $1 AND message_id = 'bad'`, [projectId]);
    expect(rejected.rows).toEqual([{ reason: 'unwritable_event', code: '22007' }]);
    const sessions = await pool.query(`SELECT event_count FROM braid.sessions WHERE project_id = $1`, [projectId]);
    expect(sessions.rows).toEqual([{ event_count: 4 }]); // a, b, c, good: the refused row is in no session
    const accounting = await getAccounting(pool, projectId);
    expect(accounting[0]).toMatchObject({ canonical: 4, rejected: 1, duplicates: 2 });
  });

  it('reads stored sessions of events in year 50 as year 50 (a later drain extends them)', async () => {
    const ancient = (messageId: string, eventTime: string) => draft(messageId, { anonymousId: 'dev-50', deviceKey: 'a:dev-50', eventTime });
    expect(await write([ancient('y50-a', '0050-05-01T10:00:00.000Z')])).toMatchObject({ written: 1 });
    expect(await write([ancient('y50-b', '0050-05-01T10:05:00.000Z')])).toMatchObject({ written: 1 });
    const sessions = await pool.query(
      `SELECT to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') AS started, to_char(ended_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') AS ended, event_count
       FROM braid.sessions WHERE project_id = $1 AND device_key = 'a:dev-50'`,
      [projectId],
    );
    expect(sessions.rows).toEqual([{ started: '0050-05-01 10:00', ended: '0050-05-01 10:05', event_count: 2 }]);
  });
});
