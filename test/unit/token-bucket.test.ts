import { describe, expect, it } from 'vitest';
import { TokenBuckets } from '../../rules/token-bucket';

describe('per-key token buckets', () => {
  it.each<[string, [number, number][], (boolean | number)[]]>([
    // [take n at ms] → ok, or the Retry-After seconds
    ['a full bucket serves its burst', [[100, 0]], [true]],
    ['then refuses until it refills', [[100, 0], [1, 0]], [true, 1]],
    ['refills at the rate (10/s: 1 event after 100 ms)', [[100, 0], [1, 100]], [true, true]],
    ['waits as long as the missing tokens need', [[100, 0], [50, 0]], [true, 5]],
    ['a request larger than the burst is served from a full bucket', [[500, 0]], [true]],
    ['…and then the key waits a whole burst', [[500, 0], [100, 0]], [true, 10]],
    ['keys do not share a bucket', [[100, 0]], [true]],
    ['time going backwards does not mint tokens', [[100, 1000], [1, 0]], [true, 1]],
    ['zero events always pass', [[100, 0], [0, 0]], [true, true]],
  ])('%s', (_name, takes, expected) => {
    const buckets = new TokenBuckets(10, 100);
    const got = takes.map(([n, at]) => {
      const out = buckets.take('k', n, at);
      return out.ok ? true : out.retryAfterSeconds;
    });
    expect(got).toEqual(expected);
  });

  it('keeps keys apart', () => {
    const buckets = new TokenBuckets(1, 5);
    expect(buckets.take('a', 5, 0)).toEqual({ ok: true });
    expect(buckets.take('b', 5, 0)).toEqual({ ok: true });
    expect(buckets.take('a', 1, 0)).toEqual({ ok: false, retryAfterSeconds: 1 });
  });

  it.each([[0, 1], [1, 0], [-1, 5], [Number.NaN, 5]])('refuses rate %s and burst %s', (rate, burst) => {
    expect(() => new TokenBuckets(rate, burst)).toThrow('rate and burst must be positive');
  });
});
