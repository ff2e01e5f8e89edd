import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, uniqueId, type Stack } from '../support/stack';

// This file's collector: write keys cached for a minute (so only the pushed revocation can
// explain a key stopping at once), and at most 5 events per second per key in bursts of 10.
// No backlog bound: other files' traffic on the shared stream must not answer these requests 429.
Object.assign(process.env, { BRAID_COLLECTOR_KEY_CACHE: '60s', BRAID_COLLECTOR_KEY_RATE: '5', BRAID_COLLECTOR_KEY_BURST: '10', BRAID_COLLECTOR_MAX_LAG: '0' });

const basic = (key: string) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;

/** Write keys on the real services: rotation with an overlap, revocation on every collector at once, per-key rate limits. */
describe('write keys', () => {
  const projectId = uniqueId('keys');
  let stack: Stack;
  let keys: Record<string, string>;

  const send = async (key: string, events = 1) => {
    const batch = Array.from({ length: events }, (_, i) => ({ type: 'track', event: 'Key Tested', anonymousId: `a${i}` }));
    const res = await fetch(`${stack.api!.url}/v1/batch`, { method: 'POST', headers: { authorization: basic(key), 'content-type': 'application/json' }, body: JSON.stringify({ batch }) });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are asserted field by field
    return { status: res.status, retryAfter: res.headers.get("retry-after"), body: (await res.json()) as any };
  };

  beforeAll(async () => {
    stack = await startStack({ projects: [], api: true, extraFilters: [`braid.raw.${projectId}.>`] });
    const made = await stack.api!.call('POST', '/api/projects', { projectId, name: 'keys test' });
    keys = made.body.writeKeys;
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('rotates a key: both work during the overlap, the old one stops when it ends', async () => {
    expect((await send(keys.mobile as string)).status).toBe(200);
    const rotated = await stack.api!.call('POST', `/api/projects/${projectId}/write-keys`, { channel: 'mobile', overlapMinutes: 60 });
    expect(rotated.status).toBe(201);
    expect(rotated.body.key).toMatch(/^wk_mobile/);
    expect((await send(rotated.body.key)).status).toBe(200);
    expect((await send(keys.mobile as string)).status).toBe(200);
    const listed = await stack.api!.call('GET', `/api/projects/${projectId}/write-keys`);
    expect(listed.body.keys.find((k: { keyId: string }) => k.keyId === rotated.body.previousKeyIds[0]).revokedAt).toBe(rotated.body.previousKeysUntil);
    expect(JSON.stringify(listed.body)).not.toContain(rotated.body.key);

    // A rotation with no overlap ends the previous key at once, though the collector had it cached.
    const again = await stack.api!.call('POST', `/api/projects/${projectId}/write-keys`, { channel: 'mobile', overlapMinutes: 0 });
    expect((await send(rotated.body.key)).status).toBe(401);
    expect((await send(again.body.key)).status).toBe(200);
  });

  it('revokes a cached key on the collector at once', async () => {
    expect((await send(keys.backend as string)).status).toBe(200); // cached for a minute from here
    const listed = await stack.api!.call('GET', `/api/projects/${projectId}/write-keys`);
    const backend = listed.body.keys.find((k: { channel: string }) => k.channel === 'backend');
    const revoked = await stack.api!.call('DELETE', `/api/projects/${projectId}/write-keys/${backend.keyId}`);
    expect(revoked.status).toBe(200);
    const refused = await send(keys.backend as string);
    expect(refused).toMatchObject({ status: 401, body: { error: { code: 'invalid_write_key' } } });
    expect((await stack.api!.call('DELETE', `/api/projects/${projectId}/write-keys/wk_nope`)).status).toBe(404);
  });

  it('limits events per key and answers 429 with Retry-After, without touching other keys', async () => {
    expect((await send(keys.web as string, 10)).status).toBe(200);
    const limited = await send(keys.web as string, 5);
    expect(limited.status).toBe(429);
    expect(limited.body.error).toMatchObject({ code: 'rate_limited', details: { limitPerSecond: 5, burst: 10, events: 5 } });
    expect(Number(limited.retryAfter)).toBeGreaterThanOrEqual(1);
    const rotated = await stack.api!.call('POST', `/api/projects/${projectId}/write-keys`, { channel: 'web', overlapMinutes: 5 });
    expect((await send(rotated.body.key, 10)).status).toBe(200);
  });
});
