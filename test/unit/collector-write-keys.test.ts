import { describe, expect, it, vi } from 'vitest';
import { WriteKeyCache, WriteKeyUnavailable, type CollectorSource } from '../../api/collector/write-keys';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const web: CollectorSource = { projectId: 'shop', channel: 'web' };
const mobile: CollectorSource = { projectId: 'shop', channel: 'mobile' };

/** A write-key table the test edits, a switch that makes it unreachable, and the lookups made. */
function fakeDatabase(initial: Record<string, CollectorSource>) {
  const keys = new Map(Object.entries(initial));
  const lookups: string[] = [];
  let down = false;
  let gate: Promise<void> | null = null;
  return {
    keys,
    lookups,
    setDown(value: boolean) {
      down = value;
    },
    /** Holds every lookup until the returned function is called, so concurrent requests overlap. */
    hold(): () => void {
      let open = () => {};
      gate = new Promise<void>((resolve) => {
        open = () => {
          gate = null;
          resolve();
        };
      });
      return open;
    },
    async lookup(key: string): Promise<CollectorSource | null> {
      lookups.push(key);
      if (gate) await gate;
      if (down) throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
      return keys.get(key) ?? null;
    },
  };
}

function cacheOver(db: ReturnType<typeof fakeDatabase>, ttlMs: number, max?: number) {
  const log = { warn: vi.fn() };
  const cache = new WriteKeyCache((key) => db.lookup(key), { ttlMs, max, log });
  return { cache, log };
}

describe('WriteKeyCache (write keys on lru-cache)', () => {
  it('asks the database once per key while the key is fresh', async () => {
    const db = fakeDatabase({ wk_web: web, wk_mobile: mobile });
    const { cache } = cacheOver(db, 60_000);
    expect(await cache.resolve('wk_web')).toEqual(web);
    expect(await cache.resolve('wk_web')).toEqual(web);
    expect(await cache.resolve('wk_mobile')).toEqual(mobile);
    expect(db.lookups).toEqual(['wk_web', 'wk_mobile']);
  });

  it('shares one lookup among concurrent requests with the same key', async () => {
    const db = fakeDatabase({ wk_web: web, wk_mobile: mobile });
    const { cache } = cacheOver(db, 60_000);
    const open = db.hold();
    const pending = [...Array.from({ length: 20 }, () => cache.resolve('wk_web')), cache.resolve('wk_mobile'), cache.resolve('wk_nope')];
    open();
    const results = await Promise.all(pending);
    expect(results.slice(0, 20).every((r) => r === web)).toBe(true);
    expect(results.slice(20)).toEqual([mobile, null]);
    expect(db.lookups.sort()).toEqual(['wk_mobile', 'wk_nope', 'wk_web']);
  });

  it('asks again once the TTL has passed, so a revoked key stops working', async () => {
    const db = fakeDatabase({ wk_web: web });
    const { cache } = cacheOver(db, 20);
    expect(await cache.resolve('wk_web')).toEqual(web);
    db.keys.delete('wk_web');
    await sleep(60);
    expect(await cache.resolve('wk_web')).toBeNull();
    expect(db.lookups).toEqual(['wk_web', 'wk_web']);
  });

  it('does not remember unknown keys, so a key created a moment later works at once', async () => {
    const db = fakeDatabase({});
    const { cache } = cacheOver(db, 60_000);
    expect(await cache.resolve('wk_new')).toBeNull();
    db.keys.set('wk_new', web);
    expect(await cache.resolve('wk_new')).toEqual(web);
    expect(db.lookups).toEqual(['wk_new', 'wk_new']);
  });

  it('keeps serving the last known source of a key while Postgres is down, and says so', async () => {
    const db = fakeDatabase({ wk_web: web });
    const { cache, log } = cacheOver(db, 20);
    expect(await cache.resolve('wk_web')).toEqual(web);
    db.setDown(true);
    await sleep(60);
    expect(await cache.resolve('wk_web')).toEqual(web);
    await sleep(60);
    expect(await cache.resolve('wk_web')).toEqual(web);
    expect(log.warn).toHaveBeenCalledTimes(2);
    expect(log.warn.mock.calls[0]?.[0]).toMatchObject({ projectId: 'shop', channel: 'web', error: expect.stringContaining('ECONNREFUSED') });

    db.setDown(false);
    db.keys.delete('wk_web');
    await sleep(60);
    expect(await cache.resolve('wk_web')).toBeNull();
  });

  it('throws WriteKeyUnavailable for a key never resolved while Postgres is down, to every waiting request', async () => {
    const db = fakeDatabase({ wk_web: web });
    const { cache } = cacheOver(db, 60_000);
    db.setDown(true);
    const open = db.hold();
    const pending = Array.from({ length: 3 }, () => cache.resolve('wk_web').catch((error: unknown) => error));
    open();
    const errors = await Promise.all(pending);
    expect(errors.every((e) => e instanceof WriteKeyUnavailable)).toBe(true);
    expect(db.lookups).toEqual(['wk_web']);

    db.setDown(false);
    expect(await cache.resolve('wk_web')).toEqual(web);
  });

  it('does not bring a revoked key back as a stale value when Postgres goes down afterwards', async () => {
    const db = fakeDatabase({ wk_web: web });
    const { cache } = cacheOver(db, 20);
    expect(await cache.resolve('wk_web')).toEqual(web);
    db.keys.delete('wk_web');
    await sleep(60);
    expect(await cache.resolve('wk_web')).toBeNull();
    db.setDown(true);
    await expect(cache.resolve('wk_web')).rejects.toBeInstanceOf(WriteKeyUnavailable);
  });

  it('with a TTL of 0 asks on every request, yet still shares concurrent lookups and keeps a last known source', async () => {
    const db = fakeDatabase({ wk_web: web });
    const { cache } = cacheOver(db, 0);
    expect(await cache.resolve('wk_web')).toEqual(web);
    await sleep(5);
    expect(await cache.resolve('wk_web')).toEqual(web);
    expect(db.lookups).toHaveLength(2);
    db.setDown(true);
    await sleep(5);
    expect(await cache.resolve('wk_web')).toEqual(web);
  });

  it('keeps at most `max` keys, dropping the least recently used', async () => {
    const db = fakeDatabase({ a: web, b: mobile, c: web });
    const { cache } = cacheOver(db, 60_000, 2);
    await cache.resolve('a');
    await cache.resolve('b');
    await cache.resolve('a');
    await cache.resolve('c');
    await cache.resolve('a');
    await cache.resolve('b');
    expect(db.lookups).toEqual(['a', 'b', 'c', 'b']);
  });
});
