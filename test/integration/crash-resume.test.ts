import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawSubject } from '../../contracts/wire';
import { sleep, track } from '../support/events';
import { finished, waitForOperation } from '../support/operations';
import { startStack, uniqueId, type Stack } from '../support/stack';
import { WorkerProcess } from '../support/worker-process';

/**
 * A worker process killed (SIGKILL) in the middle of a replay and of a
 * backfill: a new worker picks the run up from its checkpoint and the final
 * counts are exact, nothing skipped, nothing doubled.
 */
describe('a worker killed mid-run', () => {
  const projectId = uniqueId('crash');
  const N = 600;
  let stack: Stack;
  const workers: WorkerProcess[] = [];
  let from: string;
  let to: string;
  const startWorker = async () => {
    const w = new WorkerProcess(stack.taskQueue, { BRAID_OPERATION_CHUNK: '20' });
    await w.start();
    workers.push(w);
    return w;
  };

  beforeAll(async () => {
    stack = await startStack({ projects: [{ projectId, name: 'crash' }], api: true, noWorker: true });
    await startWorker();
    from = new Date(Date.now() - 1000).toISOString();
    await Promise.all(Array.from({ length: N }, (_, i) => stack.publish(rawSubject(projectId, 'web'), track({ anonymousId: `d-${i % 30}`, properties: { i } }))));
    await stack.drained(projectId, N, 120_000);
    to = new Date(Date.now() + 1000).toISOString();
  });
  afterAll(async () => {
    for (const w of workers) await w.stop();
    await stack?.stop();
  });

  async function killMidRun(path: string, total: number) {
    const running = await waitForOperation(stack, path, (op) => op.counts.read > 0 || finished(op));
    expect(running.counts.read, 'the run was still under way when the worker was killed').toBeLessThan(total);
    await workers.at(-1)!.kill();
    const frozen = (await stack.api!.call('GET', path)).body;
    await sleep(1_000);
    expect((await stack.api!.call('GET', path)).body.counts.read).toBe(frozen.counts.read);
    await startWorker();
    return waitForOperation(stack, path, finished, 120_000);
  }

  it('a replay resumes from its checkpoint with exact counts', async () => {
    const { body } = await stack.api!.call('POST', '/api/replays', { projectId, from, to, target: 'sandbox' });
    const done = await killMidRun(`/api/replays/${body.id}`, N);
    expect(done).toMatchObject({ status: 'completed', counts: { read: N, written: N, duplicates: 0, rejected: 0 } });
    const rows = await stack.pool.query(`SELECT count(*)::int AS n, count(DISTINCT event_id)::int AS d FROM sandbox_${body.id}.lineage`);
    expect(rows.rows[0]).toEqual({ n: N, d: N });
  });

  it('a backfill resumes from its checkpoint with exact counts', async () => {
    const backfillProject = uniqueId('crashbf');
    await stack.api!.call('POST', '/api/projects', { projectId: backfillProject, name: 'crash backfill' });
    const file = join(mkdtempSync(join(tmpdir(), 'braid-crash-')), 'export.jsonl');
    const lines = Array.from({ length: N }, (_, i) =>
      JSON.stringify({ type: 'track', messageId: `${backfillProject}-${i}`, anonymousId: `h-${i % 13}`, event: 'Page Scrolled', timestamp: new Date(Date.UTC(2025, 0, 1) + i * 1000).toISOString() }),
    );
    writeFileSync(file, `${lines.join('\n')}\n`);
    const { body } = await stack.api!.call('POST', '/api/backfills', { projectId: backfillProject, source: file, channel: 'web' });
    const done = await killMidRun(`/api/backfills/${body.id}`, N);
    expect(done).toMatchObject({ status: 'completed', counts: { read: N, written: N, duplicates: 0, rejected: 0 } });
    expect(await stack.accounting(backfillProject)).toMatchObject({ accepted: N, canonical: N, rejected: 0, duplicates: 0 });
    const rows = await stack.pool.query(`SELECT count(*)::int AS n, count(DISTINCT event_id)::int AS d FROM analytics.lineage WHERE project_id = $1`, [backfillProject]);
    expect(rows.rows[0]).toEqual({ n: N, d: N });
  });
});
