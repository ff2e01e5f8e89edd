import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawSubject } from '../../contracts/wire';
import { registerLake } from '../../db/lake';
import { openLakeForQuery, openLakeStore } from '../../lake/open';
import { connectS3 } from '../../lake/s3-client';
import { listPages, uploadFile } from '../../lake/s3-store';
import { lakeTarget, partitionKey, type LakeTarget } from '../../rules/lake-layout';
import { repoRoot } from '../../runtime/paths';
import { lakeExportWorkflow } from '../../workflows/lake-export.workflow';
import { track } from '../support/events';
import { caughtUp as lakeCaughtUp, lakeRows, postgresRows } from '../support/lake';
import { finished, waitForOperation } from '../support/operations';
import { startS3Server, type S3TestServer } from '../support/s3-server';
import { startStack, uniqueId, type Stack } from '../support/stack';

const run = promisify(execFile);
type Failed = { code: number; stdout: string; stderr: string };

/**
 * The lake in a bucket of a real S3-compatible server (gofakes3): the export
 * workflow keeps one object per partition equal to analytics.events through
 * dates, a late event and an erasure that empties a partition (its object is
 * deleted); `braid lake export --to s3://…` and `braid lake query` over the
 * bucket do the same on demand; bad settings exit 2 naming the variable.
 */
describe('lake in an S3 bucket', () => {
  const projectId = uniqueId('lakes3');
  const scratch = mkdtempSync(join(tmpdir(), 'braid-lake-s3-'));
  let s3: S3TestServer;
  let stack: Stack;
  let client: S3Client;
  let target: LakeTarget;
  const prefix = `lake-${projectId}`;

  /** Every key under a prefix of the bucket, relative to it, sorted. */
  const keysUnder = async (under: string): Promise<string[]> => {
    const keys: string[] = [];
    for await (const page of listPages(client, s3.bucket, `${under}/`)) for (const o of page.Contents ?? []) keys.push(o.Key!.slice(under.length + 1));
    return keys.sort();
  };
  /** The keys of these dates' partitions, relative to the lake's prefix. */
  const partitionKeys = (dates: string[]) => dates.map((d) => partitionKey('', projectId, d)).sort();
  /** The bucket mirrored as braid lake query mirrors it (into this test's cache). */
  const mirror = async () => {
    const readable = await openLakeForQuery(target, process.env, join(scratch, 'cache'));
    if (!readable.ok) throw new Error(readable.reason);
    return readable;
  };
  const mirrored = async () => (await mirror()).mirror;
  /** The bucket's partitions as braid lake query reads them. */
  const bucketRows = async () => lakeRows((await mirror()).dir, projectId);
  const caughtUp = () => lakeCaughtUp({ postgres: () => postgresRows(stack.pool, projectId), lake: bucketRows });

  const at = (day: string, hh: string) => `${day}T${hh}:00:00.123456Z`;
  const publish = (payload: Record<string, unknown>, channel = 'web') => stack.publish(rawSubject(projectId, channel), payload);

  beforeAll(async () => {
    s3 = await startS3Server();
    // The in-process worker's activities read the AWS variables as a deployed worker does.
    Object.assign(process.env, s3.env);
    const connected = await connectS3(s3.bucket, '', process.env);
    if (!connected.ok) throw new Error(connected.reason);
    client = connected.lake.client;
    const parsed = lakeTarget(`s3://${s3.bucket}/${prefix}`, '/');
    if (!parsed.ok) throw new Error(parsed.reason);
    target = parsed.target;
    stack = await startStack({ projects: [{ projectId, name: 'lake s3' }], api: true });
    const opened = await openLakeStore(target, process.env);
    if (!opened.ok) throw new Error(opened.reason);
    expect(opened.store.identity).toBe(`s3://${s3.bucket}/${prefix} at ${s3.endpoint}`);
    await registerLake(stack.pool, opened.store.identity);
    opened.store.close();
    await stack.client.workflow.start(lakeExportWorkflow, {
      workflowId: uniqueId('lake-export-s3-'),
      taskQueue: stack.taskQueue,
      args: [{ lakeUrl: opened.store.url, projectId, everyMs: 300 }],
    });
  });
  afterAll(async () => {
    await stack?.stop();
    client?.destroy();
    await s3?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('writes one object per event date, equal to analytics.events', async () => {
    await publish(track({ anonymousId: 'ann-web', event: 'Product Viewed', timestamp: at('2026-05-01', '10'), properties: { sku: 'a-1', price: 12.5 } }));
    await publish(track({ anonymousId: 'ann-web', event: 'Product Viewed', timestamp: at('2026-05-01', '23'), properties: { nested: { deep: [1, 2, 3] } } }));
    await publish(track({ anonymousId: 'dee-phone', event: 'App Opened', timestamp: at('2026-05-02', '08') }), 'mobile');
    await stack.drained(projectId, 3);
    expect(await caughtUp()).toEqual([
      ['2026-05-01', 2],
      ['2026-05-02', 1],
    ]);
    expect(await keysUnder(prefix)).toEqual(partitionKeys(['2026-05-01', '2026-05-02']));
    // The mirror braid lake query reads is up to date: nothing changed, nothing is downloaded.
    expect(await mirrored()).toMatchObject({ files: 2, downloaded: 0, removed: 0 });
  });

  it('rewrites a partition for a late event, and adds one for an event months late', async () => {
    await publish(track({ userId: 'bob', event: 'Order Completed', timestamp: at('2026-05-01', '12') }), 'backend');
    await publish(track({ userId: 'bob', event: 'Order Completed', timestamp: at('2025-12-24', '09') }), 'backend');
    await stack.drained(projectId, 5);
    expect(await caughtUp()).toEqual([
      ['2025-12-24', 1],
      ['2026-05-01', 3],
      ['2026-05-02', 1],
    ]);
    expect(await keysUnder(prefix)).toEqual(partitionKeys(['2025-12-24', '2026-05-01', '2026-05-02']));
  });

  it('deletes the object of a partition an erasure left empty', async () => {
    const erasure = await stack.api!.call('POST', '/api/erasures', { projectId, mode: 'delete', anonymousId: 'dee-phone' });
    expect(erasure.status).toBe(202);
    expect((await waitForOperation(stack, `/api/erasures/${erasure.body.id}`, finished)).status).toBe('completed');
    expect(await caughtUp()).toEqual([
      ['2025-12-24', 1],
      ['2026-05-01', 3],
    ]);
    expect(await keysUnder(prefix)).toEqual(partitionKeys(['2025-12-24', '2026-05-01']));
    expect(await mirrored()).toMatchObject({ files: 2, downloaded: 0, removed: 0 });
    const gone = await client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: `${prefix}/${partitionKey('', projectId, '2026-05-02')}` })).catch((e: { name: string }) => e);
    expect(gone).toMatchObject({ name: 'NotFound' });
  });

  it('`braid lake export --to s3://…` replaces what is there, and `braid lake query` reads the bucket', async () => {
    const cli = `cli-${projectId}`;
    const url = `s3://${s3.bucket}/${cli}`;
    // What another tool (or an older braid) left: a date without events, and a second file in a live partition.
    for (const stray of [partitionKey(cli, projectId, '2020-01-01'), `${cli}/events/project_id=${projectId}/event_date=2026-05-01/part-old.parquet`]) {
      await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: stray, Body: 'not parquet' }));
    }
    const braid = join(repoRoot, 'bin', 'braid.js');
    const env = { ...process.env, BRAID_LOG_LEVEL: 'silent', BRAID_CACHE_DIR: join(scratch, 'cli-cache') };
    const exported = await run(process.execPath, [braid, 'lake', 'export', '-p', projectId, '--to', url], { env, cwd: repoRoot });
    expect(exported.stdout).toContain(`exported 2 partitions, 4 rows of project ${projectId} to ${url}; removed 1 dates without events`);
    expect(await keysUnder(cli)).toEqual(partitionKeys(['2025-12-24', '2026-05-01']));

    const sql = 'SELECT event_date::VARCHAR AS d, count(*)::INTEGER AS n FROM events GROUP BY 1 ORDER BY 1';
    const queried = await run(process.execPath, [braid, 'lake', 'query', '--lake', url, '--json', sql], { env, cwd: repoRoot });
    expect(queried.stdout.trim().split('\n').map((l) => JSON.parse(l))).toEqual([
      { d: '2025-12-24', n: 1 },
      { d: '2026-05-01', n: 3 },
    ]);
    expect(queried.stderr).toContain(`${url} mirrored in`);
    expect(queried.stderr).toContain('2 files, 2 downloaded');
  });

  it('a bad setting is refused naming the variable (braid lake exits 2, the worker does not start); a missing bucket exits 1 saying so', async () => {
    const braid = join(repoRoot, 'bin', 'braid.js');
    const env: NodeJS.ProcessEnv = { ...process.env, BRAID_LOG_LEVEL: 'silent', BRAID_CACHE_DIR: join(scratch, 'bad-cache') };
    const { AWS_SECRET_ACCESS_KEY: _secret, ...noSecret } = env;
    const attempt = (args: string[], env: NodeJS.ProcessEnv) => run(process.execPath, [braid, ...args], { env, cwd: repoRoot, timeout: 60_000 }).then(() => null, (e: Failed) => e);
    const [secret, bucket, worker] = await Promise.all([
      attempt(['lake', 'export', '-p', projectId, '--to', `s3://${s3.bucket}/x`], noSecret),
      attempt(['lake', 'query', '--lake', 's3://no-such-bucket/x', 'SELECT 1'], env),
      // The worker checks its lake before it connects to anything.
      attempt(['worker'], { ...noSecret, BRAID_LAKE_URL: `s3://${s3.bucket}/x` }),
    ]);
    expect(secret).toMatchObject({ code: 2, stderr: expect.stringContaining('AWS_SECRET_ACCESS_KEY is not set but AWS_ACCESS_KEY_ID is') });
    expect(bucket).toMatchObject({ code: 1, stderr: expect.stringContaining('the bucket no-such-bucket does not exist') });
    expect(worker).toMatchObject({ code: 1, stderr: expect.stringContaining(`BRAID_LAKE_URL=s3://${s3.bucket}/x: AWS_SECRET_ACCESS_KEY is not set`) });
  });

  it('uploads a large file in parts, whole', async () => {
    const file = join(scratch, 'big.parquet');
    const body = randomBytes(11 * 1024 * 1024 + 17);
    writeFileSync(file, body);
    const key = `${prefix}-multipart/big.parquet`;
    await uploadFile(client, s3.bucket, key, file, { multipartThreshold: 1024 * 1024, partSize: 5 * 1024 * 1024 });
    const got = await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
    const bytes = await got.Body!.transformToByteArray();
    expect(bytes.length).toBe(body.length);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(createHash('sha256').update(body).digest('hex'));
  });
});
