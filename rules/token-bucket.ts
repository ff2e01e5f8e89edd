/** The outcome of asking a bucket for tokens. */
export type TakeOutcome = { ok: true } | { ok: false; retryAfterSeconds: number };

/**
 * Token buckets by key (a write key's id): each holds up to `burst` tokens
 * and refills at `ratePerSecond`; a request takes one token per event. A
 * request larger than the burst is never refused for its size alone (it
 * empties the bucket). Pure: the clock is handed in. Idle buckets are dropped
 * once full again, so memory follows the keys in use.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; atMs: number }>();

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
  ) {
    if (!(ratePerSecond > 0) || !(burst > 0)) throw new Error('rate and burst must be positive');
  }

  take(key: string, n: number, nowMs: number): TakeOutcome {
    const bucket = this.buckets.get(key) ?? { tokens: this.burst, atMs: nowMs };
    const elapsed = Math.max(0, nowMs - bucket.atMs) / 1000;
    bucket.tokens = Math.min(this.burst, bucket.tokens + elapsed * this.ratePerSecond);
    bucket.atMs = nowMs;
    const need = Math.min(n, this.burst);
    if (bucket.tokens >= need) {
      bucket.tokens -= Math.min(n, bucket.tokens);
      this.buckets.set(key, bucket);
      this.sweep(nowMs);
      return { ok: true };
    }
    this.buckets.set(key, bucket);
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((need - bucket.tokens) / this.ratePerSecond)) };
  }

  private sweep(nowMs: number): void {
    if (this.buckets.size < 10_000) return;
    for (const [key, b] of this.buckets) if (b.tokens + ((nowMs - b.atMs) / 1000) * this.ratePerSecond >= this.burst) this.buckets.delete(key);
  }
}
