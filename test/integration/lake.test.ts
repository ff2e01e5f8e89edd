import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawSubject } from '../../contracts/wire';
import { registerLake } from '../../db/lake';
import { queryLake } from '../../lake/parquet';
import { repoRoot } from '../../runtime/paths';
import { lakeExportWorkflow } from '../../workflows/lake-export.workflow';
import { identify, track } from '../support/events';
import { caughtUp as lakeCaughtUp, lakeRows, postgresRows } from '../support/lake';
import { finished, waitForOperation } from '../support/operations';
import { startStack, uniqueId, type Stack } from '../support/stack';

const run = promisify(execFile);

/**
 * The lake on the real services: the export workflow keeps Parquet
 * partitions equal to analytics.events, partition by partition, through late
 * events, an identity merge, a production replay and an erasure; `braid lake
 * export` and `braid lake query` do the same on demand.
 */
describe('lake of canonical events', () => {
  const projectId = uniqueId('lake');
  const lakeDir = mkdtempSync(join(tmpdir(), 'braid-lake-'));
  let stack: Stack;

  const lakeRowsOf = () => lakeRows(lakeDir, projectId);
  /** Waits until every partition of the lake equals Postgres's (the export runs on its own schedule). */
  const caughtUp = () => lakeCaughtUp({ postgres: () => postgresRows(stack.pool, projectId), lake: () => lakeRowsOf() });

  const at = (day: string, hh: string) => `${day}T${hh}:00:00.123456Z`;
  const publish = (payload: Record<string, unknown>, channel = 'web') => stack.publish(rawSubject(projectId, channel), payload);

  beforeAll(async () => {
    stack = await startStack({ projects: [{ projectId, name: 'lake' }], api: true });
    await registerLake(stack.pool, lakeDir);
    await stack.client.workflow.start(lakeExportWorkflow, {
      workflowId: uniqueId('lake-export-'),
      taskQueue: stack.taskQueue,
      args: [{ lakeUrl: lakeDir, projectId, everyMs: 300 }],
    });
  });
  afterAll(async () => {
    await stack?.stop();
    rmSync(lakeDir, { recursive: true, force: true });
  });

  it('writes one Parquet partition per event date, equal to analytics.events', async () => {
    await publish(track({ anonymousId: 'ann-web', event: 'Product Viewed', timestamp: at('2026-03-01', '10'), properties: { sku: 'a-1', price: 12.5 } }));
    await publish(track({ anonymousId: 'ann-web', event: 'Product Viewed', timestamp: at('2026-03-01', '23'), properties: { sku: 'a-2', nested: { deep: [1, 2, 3] } } }));
    await publish(track({ userId: 'bob', event: 'Order Completed', timestamp: at('2026-03-02', '00') }), 'backend');
    await publish(track({ anonymousId: 'cat-phone', event: 'App Opened', timestamp: at('2026-03-03', '08') }), 'mobile');
    await stack.drained(projectId, 4);
    const partitions = await caughtUp();
    expect(partitions).toEqual([
      ['2026-03-01', 2],
      ['2026-03-02', 1],
      ['2026-03-03', 1],
    ]);
    const files = await run('find', [join(lakeDir, 'events'), '-name', '*.parquet']);
    expect(files.stdout.trim().split('\n').map((f) => f.slice(lakeDir.length)).sort()).toEqual(
      ['2026-03-01', '2026-03-02', '2026-03-03'].map((d) => `/events/project_id=${projectId}/event_date=${d}/events.parquet`),
    );
  });

  it('rewrites a partition for a late event, and creates one for an event months late', async () => {
    await publish(track({ userId: 'bob', event: 'Order Refunded', timestamp: at('2026-03-01', '12') }), 'backend');
    await publish(track({ userId: 'bob', event: 'Order Completed', timestamp: at('2025-11-20', '09') }), 'backend');
    await stack.drained(projectId, 6);
    const partitions = await caughtUp();
    expect(partitions).toEqual([
      ['2025-11-20', 1],
      ['2026-03-01', 3],
      ['2026-03-02', 1],
      ['2026-03-03', 1],
    ]);
  });

  it('follows an identity merge: the anonymous events get the person of the user they turn out to be', async () => {
    const before = await lakeRowsOf();
    await publish(identify({ anonymousId: 'ann-web', userId: 'bob', timestamp: at('2026-03-03', '09') }));
    await stack.drained(projectId, 7);
    await caughtUp();
    const after = await lakeRowsOf();
    // ann's 1 March events now carry bob's person, though no event of that day was written.
    const annBefore = before.filter((r) => r.event_date === '2026-03-01').map((r) => r.person_id);
    const annAfter = after.filter((r) => r.event_date === '2026-03-01').map((r) => r.person_id);
    expect(new Set(annAfter).size).toBe(1);
    expect(new Set(annBefore).size).toBe(2);
    const persons = await queryLake(lakeDir, `SELECT count(DISTINCT person_id)::INTEGER AS n FROM events WHERE project_id = '${projectId}' AND (anonymous_id = 'ann-web' OR user_id = 'bob')`);
    expect(persons.rows).toEqual([{ n: 1 }]);
  });

  it('stays equal through a production replay', async () => {
    const replay = await stack.api!.call('POST', '/api/replays', { projectId, from: '2000-01-01T00:00:00Z', to: new Date(Date.now() + 1000).toISOString(), target: 'production' });
    expect(replay.status).toBe(202);
    expect((await waitForOperation(stack, `/api/replays/${replay.body.id}`, finished)).status).toBe('completed');
    expect((await caughtUp()).reduce((sum, [, n]) => sum + n, 0)).toBe(7);
  });

  it('removes an erased person from the lake, and a partition left empty entirely', async () => {
    const erasure = await stack.api!.call('POST', '/api/erasures', { projectId, mode: 'delete', anonymousId: 'cat-phone' });
    expect(erasure.status).toBe(202);
    expect((await waitForOperation(stack, `/api/erasures/${erasure.body.id}`, finished)).status).toBe('completed');
    const partitions = await caughtUp();
    expect(partitions.map(([date]) => date)).toEqual(['2025-11-20', '2026-03-01', '2026-03-02', '2026-03-03']);
    const cat = await queryLake(lakeDir, `SELECT count(*)::INTEGER AS n FROM events WHERE anonymous_id = 'cat-phone'`);
    expect(cat.rows).toEqual([{ n: 0 }]);

    const bob = await stack.api!.call('POST', '/api/erasures', { projectId, mode: 'delete', userId: 'bob' });
    expect((await waitForOperation(stack, `/api/erasures/${bob.body.id}`, finished)).status).toBe('completed');
    expect(await caughtUp()).toEqual([]);
    const left = await run('find', [join(lakeDir, 'events'), '-name', '*.parquet']);
    expect(left.stdout.trim()).toBe('');
  });

  it('`braid lake export` writes a project on demand and `braid lake query` reads it; bad input exits 2', async () => {
    const other = uniqueId('lakecli');
    const second = await startStack({ projects: [{ projectId: other, name: 'lake cli' }] });
    try {
      for (let i = 0; i < 5; i += 1) await second.publish(rawSubject(other, 'web'), track({ anonymousId: `d${i}`, timestamp: at(`2026-04-0${1 + (i % 2)}`, '10') }));
      await second.drained(other, 5);
    } finally {
      await second.stop();
    }
    const dir = mkdtempSync(join(tmpdir(), 'braid-lake-cli-'));
    const braid = join(repoRoot, 'bin', 'braid.js');
    const env = { ...process.env, BRAID_LOG_LEVEL: 'silent' };
    try {
      const exported = await run(process.execPath, [braid, 'lake', 'export', '-p', other, '--to', dir], { env, cwd: repoRoot });
      expect(exported.stdout).toContain(`exported 2 partitions, 5 rows of project ${other}`);
      const queried = await run(process.execPath, [braid, 'lake', 'query', '--lake', dir, '--json', 'SELECT event_date::VARCHAR AS d, count(*)::INTEGER AS n FROM events GROUP BY 1 ORDER BY 1'], { env, cwd: repoRoot });
      expect(queried.stdout.trim().split('\n').map((l) => JSON.parse(l))).toEqual([
        { d: '2026-04-01', n: 3 },
        { d: '2026-04-02', n: 2 },
      ]);
      const badProject = await run(process.execPath, [braid, 'lake', 'export', '-p', '../etc', '--to', dir], { env, cwd: repoRoot }).catch((e: { code: number; stderr: string }) => e);
      expect(badProject).toMatchObject({ code: 2, stderr: expect.stringContaining('--project') });
      const gs = await run(process.execPath, [braid, 'lake', 'query', '--lake', 'gs://bucket/lake', 'SELECT 1'], { env, cwd: repoRoot }).catch((e: { code: number; stderr: string }) => e);
      expect(gs).toMatchObject({ code: 2, stderr: expect.stringContaining('gs:// lakes are not supported') });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
