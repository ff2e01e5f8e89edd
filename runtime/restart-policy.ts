/**
 * What a supervisor does when one of its processes exits: the rule alone, so
 * it is tested without processes. A process that never got ready is a broken
 * setup (a port in use, a bad setting) and restarting it would only repeat the
 * error; one that ran and then died is restarted, 1 s after its first crash,
 * doubling up to 30 s while it keeps crashing, from 1 s again once it has run
 * for a minute.
 */

export const FIRST_RESTART_DELAY_MS = 1_000;
export const MAX_RESTART_DELAY_MS = 30_000;
/** A process that ran this long counts as healthy again: its next crash starts the backoff over. */
export const STABLE_AFTER_MS = 60_000;

export interface ExitFacts {
  /** The supervisor asked it to stop. */
  stopping: boolean;
  /** It said it was ready at least once since the supervisor started (in this run or an earlier one). */
  everReady: boolean;
  /** Restarts in a row so far, without a stable run in between. */
  restarts: number;
  /** How long this run lasted. */
  ranMs: number;
}

export type ExitDecision =
  | { action: 'stopped' }
  | { action: 'give_up'; reason: 'exited_before_ready' }
  | { action: 'restart'; delayMs: number; restarts: number };

export function decideOnExit(facts: ExitFacts): ExitDecision {
  if (facts.stopping) return { action: 'stopped' };
  if (!facts.everReady) return { action: 'give_up', reason: 'exited_before_ready' };
  const earlier = facts.ranMs >= STABLE_AFTER_MS ? 0 : facts.restarts;
  return { action: 'restart', delayMs: restartDelayMs(earlier), restarts: earlier + 1 };
}

/** 1 s, 2 s, 4 s, … capped at 30 s, for the restart after `earlierRestarts` restarts in a row. */
export function restartDelayMs(earlierRestarts: number): number {
  return Math.min(FIRST_RESTART_DELAY_MS * 2 ** Math.max(0, earlierRestarts), MAX_RESTART_DELAY_MS);
}
