import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../runtime/paths';
import { msgId } from '../support/events';
import { startStack, uniqueId, type Stack } from '../support/stack';
import { finished, waitForOperation } from '../support/operations';

const run = promisify(execFile);

/** A Segment export: one event per line, in the shapes Segment's warehouse exports have. */
function segmentExport(count: number, prefix: string): { lines: string[]; ids: string[] } {
  const lines: string[] = [];
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const messageId = `${prefix}-${i}`;
    ids.push(messageId);
    const timestamp = new Date(Date.UTC(2025, 5, 1, 8, 0, 0) + i * 60_000).toISOString();
    lines.push(
      JSON.stringify({
        type: i % 10 === 0 ? 'identify' : 'track',
        messageId,
        anonymousId: `hist-${i % 7}`,
        ...(i % 10 === 0 ? { userId: `user-${i % 7}`, traits: { plan: 'pro' } } : { event: 'Order Completed', properties: { revenue: i } }),
        timestamp,
        sentAt: timestamp,
        receivedAt: new Date(Date.UTC(2025, 5, 1, 8, 0, 5) + i * 60_000).toISOString(),
        context: { library: { name: 'analytics.js', version: '4.1.0' } },
      }),
    );
  }
  return { lines, ids };
}

describe('backfills', () => {
  const projectId = uniqueId('backfill');
  let stack: Stack;
  let dir: string;

  beforeAll(async () => {
    stack = await startStack({ projects: [{ projectId, name: 'backfill' }], api: true, operationChunk: 40 });
    dir = mkdtempSync(join(tmpdir(), 'braid-backfill-'));
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('imports a file keeping event times, rejects bad lines with their line numbers and goes on', async () => {
    const { lines, ids } = segmentExport(100, uniqueId('bf'));
    const bad = ['{"type":"track",', '', JSON.stringify({ type: 'track', messageId: msgId('noevent'), anonymousId: 'x' }), lines[3] as string];
    const all = [...lines.slice(0, 50), bad[0], bad[1], ...lines.slice(50), bad[2], bad[3]];
    const file = join(dir, 'export.jsonl');
    writeFileSync(file, `${all.join('\r\n')}\n`);

    const started = await stack.api!.call('POST', '/api/backfills', { projectId, source: file, channel: 'web' });
    expect(started.status).toBe(202);
    const op = await waitForOperation(stack, `/api/backfills/${started.body.id}`, finished);
    expect(op).toMatchObject({ status: 'completed', total: 104 });
    expect(op.counts).toMatchObject({ read: 103, written: 100, rejected: 2, duplicates: 1 });

    const rejected = await stack.pool.query(`SELECT reason, details->>'line' AS line, source_sequence FROM analytics.rejected_events WHERE project_id = $1 ORDER BY source_sequence`, [projectId]);
    expect(rejected.rows).toEqual([
      { reason: 'invalid_json', line: '51', source_sequence: 51 },
      { reason: 'missing_event', line: '103', source_sequence: 103 },
    ]);
    const first = JSON.parse(lines[1] as string);
    const row = await stack.pool.query(`SELECT e.event_time, l.backfill_id, l.source_stream FROM analytics.events e JOIN analytics.lineage l USING (project_id, event_id) WHERE e.project_id = $1 AND e.event_id = $2`, [projectId, ids[1]]);
    expect(row.rows).toEqual([{ event_time: new Date(first.timestamp), backfill_id: started.body.id, source_stream: `backfill:${started.body.id}` }]);
    expect(await stack.accounting(projectId)).toMatchObject({ accepted: 103, canonical: 100, rejected: 2, duplicates: 1, inFlight: 0 });
    const sessions = await stack.pool.query(`SELECT count(*)::int AS n FROM analytics.sessions WHERE project_id = $1`, [projectId]);
    expect(sessions.rows[0].n).toBeGreaterThan(0);
  });

  it('reads gzip files', async () => {
    const { lines } = segmentExport(60, uniqueId('gz'));
    const file = join(dir, 'export.jsonl.gz');
    writeFileSync(file, gzipSync(`${lines.join('\n')}\n`));
    const started = await stack.api!.call('POST', '/api/backfills', { projectId, source: file, channel: 'backend' });
    const op = await waitForOperation(stack, `/api/backfills/${started.body.id}`, finished);
    expect(op).toMatchObject({ status: 'completed', total: 60, counts: { read: 60, written: 60, rejected: 0 } });
  });

  it('the CLI drives a backfill with progress and exits non-zero on an unreadable file', async () => {
    const { lines } = segmentExport(30, uniqueId('cli'));
    const file = join(dir, 'cli.jsonl');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const env = { ...process.env, BRAID_API_URL: stack.api!.url, BRAID_TOKEN: stack.api!.adminToken };
    const braid = join(repoRoot, 'bin', 'braid.js');
    const ok = await run(process.execPath, [braid, 'backfill', 'start', '-p', projectId, '--source', file, '--channel', 'web', '--wait', '--json'], { env });
    const result = JSON.parse(ok.stdout.trim().split('\n').at(-1) as string);
    expect(result).toMatchObject({ status: 'completed', counts: { read: 30, written: 30 } });

    const failed = await run(process.execPath, [braid, 'backfill', 'start', '-p', projectId, '--source', join(dir, 'missing.jsonl')], { env }).catch((e) => e);
    expect(failed.code).toBe(2);
    expect(failed.stderr).toContain('source_unreadable');

    const replay = await run(process.execPath, [braid, 'replay', 'start', '-p', projectId, '--from', '2026-01-02T00:00:00Z', '--to', '2026-01-01T00:00:00Z'], { env }).catch((e) => e);
    expect(replay.code).toBe(2);
    expect(replay.stderr).toContain('invalid_range');
  });
});
