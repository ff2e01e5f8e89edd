import { sleep } from './events';
import type { Stack } from './stack';

export type Op = { id: string; status: string; counts: { read: number; written: number; [k: string]: number }; total: number; position: number; sandboxSchema?: string; error: string | null };

/** Polls a replay or backfill until `until` holds. */
export async function waitForOperation(stack: Stack, path: string, until: (op: Op) => boolean, timeoutMs = 90_000): Promise<Op> {
  const deadline = Date.now() + timeoutMs;
  let last: Op | undefined;
  while (Date.now() < deadline) {
    last = (await stack.api!.call<Op>('GET', path)).body;
    if (until(last)) return last;
    await sleep(150);
  }
  throw new Error(`${path} did not reach the expected state: ${JSON.stringify(last)}`);
}

export const finished = (op: Op) => ['completed', 'failed', 'cancelled'].includes(op.status);
