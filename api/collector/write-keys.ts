import { LRUCache } from 'lru-cache';
import type { Logger } from '../../runtime/logger';

/** Where a write key's events go: one project and one channel. */
export interface CollectorSource {
  projectId: string;
  channel: string;
  /** The key's id, for revocations pushed by id. */
  keyId?: string;
  /** When the key stops working (a rotation's overlap window); null or absent: until revoked. */
  validUntilMs?: number | null;
}

/** Asks the database for a write key; null when it is unknown or revoked. */
export type WriteKeyLookup = (key: string) => Promise<CollectorSource | null>;

/** The key cannot be checked (the lookup failed) and was never resolved before. */
export class WriteKeyUnavailable extends Error {
  constructor(cause: unknown) {
    super(`write keys cannot be checked right now: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.name = 'WriteKeyUnavailable';
  }
}

export interface WriteKeyCacheOptions {
  /** How long a resolved key is reused; a revoked key stops working within this time. 0: ask every time. */
  ttlMs: number;
  /** Keys kept, least recently used dropped first. */
  max?: number;
  log: Pick<Logger, 'warn'>;
}

/**
 * Resolved write keys on lru-cache, so a request costs no database round trip:
 *
 * - a resolved key is reused for `ttlMs`;
 * - concurrent requests with one key share one lookup (lru-cache's `fetch`);
 * - when the lookup fails (Postgres unreachable), a key resolved before keeps
 *   working with its last known source, for another `ttlMs` at a time: events
 *   still reach JetStream, which is what matters here. A key never resolved
 *   then throws WriteKeyUnavailable (a retryable 503 for the client);
 * - unknown keys are not cached, so a key created a moment ago works at once.
 */
export class WriteKeyCache {
  private readonly cache: LRUCache<string, CollectorSource>;

  constructor(lookup: WriteKeyLookup, options: WriteKeyCacheOptions) {
    this.cache = new LRUCache<string, CollectorSource>({
      max: options.max ?? 10_000,
      // lru-cache reads a TTL of 0 as "forever"; 1 ms is "ask again on the next request".
      ttl: Math.max(1, options.ttlMs),
      fetchMethod: async (key, stale) => {
        try {
          return (await lookup(key)) ?? undefined;
        } catch (error) {
          if (stale === undefined) throw new WriteKeyUnavailable(error);
          options.log.warn(
            { projectId: stale.projectId, channel: stale.channel, error: (error as Error)?.message },
            'collector: write key lookup failed; using its last known source',
          );
          return stale;
        }
      },
    });
  }

  /** The key's source; null when it is unknown, revoked or past its rotation window; throws WriteKeyUnavailable. */
  async resolve(key: string, nowMs = Date.now()): Promise<CollectorSource | null> {
    const source = await this.cache.fetch(key);
    if (source !== undefined && (source.validUntilMs === null || source.validUntilMs === undefined || source.validUntilMs > nowMs)) return source;
    // A key found unknown must not come back as a stale value when Postgres is down later.
    this.cache.delete(key);
    return null;
  }

  /** Forgets a revoked key at once (the API announces revocations on NATS); returns whether it was cached. */
  forget(keyId: string): boolean {
    let found = false;
    for (const [key, source] of this.cache.entries()) {
      if (source.keyId === keyId) {
        this.cache.delete(key);
        found = true;
      }
    }
    return found;
  }
}
