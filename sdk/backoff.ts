export interface RetryPolicy {
  /** Publish attempts per event before its promise rejects (first try included). */
  maxAttempts: number;
  /** Delay after the first failed round; doubles each round up to maxDelayMs. */
  initialDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 10, initialDelayMs: 100, maxDelayMs: 5_000 };

/**
 * The wait before retry number `attempt` (1 = after the first failure):
 * exponential, capped, with "equal jitter" (half fixed, half random) so many
 * clients that failed together do not come back together. Pure given `random`.
 */
export function retryDelayMs(attempt: number, policy: Pick<RetryPolicy, 'initialDelayMs' | 'maxDelayMs'>, random: () => number = Math.random): number {
  const exp = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp / 2 + (exp / 2) * random());
}
