import { getAccounting, type AccountingRow } from '../../db/accounting';
import { countStaged } from '../../db/staged-events';
import { RAW_STREAM } from '../../contracts/wire';
import type { BenchEnvironment } from './environment';
import type { Pipeline } from './pipeline';

export interface DrainWait {
  /** Canonical events the project must have (all it was sent, minus rejections and duplicates). */
  expectedCanonical: number;
  /** Give up (return null) when not drained by then (epoch ms); without it, wait as long as there is progress. */
  deadlineMs?: number;
  /** Throw when nothing moves for this long. */
  stallMs?: number;
}

export interface Drained {
  /** When the pipeline was first seen drained (epoch ms). */
  atMs: number;
  accounting: AccountingRow;
}

const POLL_MS = 100;
const DEFAULT_STALL_MS = 120_000;

/**
 * Waits until a pipeline's project has drained: its consumer has nothing
 * pending or unacknowledged (every message staged or written), no rows wait
 * in the stage, and then the contract's accounting agrees (in-flight 0, the
 * expected canonical events written). The cheap readings are polled; the
 * accounting view, which counts whole tables, is read only once they say
 * done, so polling does not weigh on what it measures.
 */
export async function waitForDrain(env: BenchEnvironment, pipeline: Pipeline, wait: DrainWait): Promise<Drained | null> {
  const projectId = pipeline.spec.projectId;
  const stallMs = wait.stallMs ?? DEFAULT_STALL_MS;
  let progress = { atMs: Date.now(), remaining: -1 };
  let lastAccounting: AccountingRow | undefined;
  for (;;) {
    pipeline.assertRunning();
    const checkedAtMs = Date.now();
    const consumer = await env.jsm.consumers.info(RAW_STREAM, pipeline.durable);
    const unacked = consumer.num_pending + consumer.num_ack_pending;
    const staged = unacked === 0 ? await countStaged(env.pool, projectId) : 0;
    if (unacked === 0 && staged === 0) {
      const [row] = await getAccounting(env.pool, projectId);
      if (row && row.inFlight === 0 && row.canonical >= wait.expectedCanonical) return { atMs: checkedAtMs, accounting: row };
      lastAccounting = row;
    }
    const remaining = unacked + staged;
    if (remaining !== progress.remaining) progress = { atMs: checkedAtMs, remaining };
    if (checkedAtMs - progress.atMs > stallMs) {
      const accounting = lastAccounting ? `, accounting ${JSON.stringify(lastAccounting)}` : '';
      throw new Error(`${pipeline.spec.name} made no progress for ${stallMs / 1000} s: ${unacked} messages unacknowledged, ${staged} rows staged${accounting}, ${wait.expectedCanonical} canonical expected`);
    }
    if (wait.deadlineMs !== undefined && checkedAtMs > wait.deadlineMs) return null;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
