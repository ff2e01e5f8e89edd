import { SingleBar } from 'cli-progress';
import type { ApiClient } from './api-client';

export interface OperationView {
  id: string;
  kind: string;
  status: string;
  counts: Record<string, number>;
  total: number | null;
  error: string | null;
  sandboxSchema?: string;
}

const FINISHED = ['completed', 'failed', 'cancelled'];

/**
 * Follows a replay or backfill until it finishes: a live bar (done / total,
 * rate, ETA) on a terminal, a line every few seconds otherwise. Resolves with
 * the final state.
 */
export async function followOperation(api: ApiClient, path: string, intervalMs = 500): Promise<OperationView> {
  const tty = Boolean(process.stderr.isTTY);
  const bar = new SingleBar({
    stream: process.stderr,
    format: ' {bar} {percentage}% | {value}/{total} events | {rate}/s | ETA {eta_formatted} | {status}',
    etaBuffer: 20,
    hideCursor: true,
    noTTYOutput: !tty,
    notTTYSchedule: 5_000,
  });
  const started = Date.now();
  let view = await api.call<OperationView>('GET', path);
  bar.start(Math.max(view.total ?? 0, 1), 0, { rate: '0', status: view.status });
  for (;;) {
    const done = view.counts.read ?? 0;
    const rate = done / Math.max(0.001, (Date.now() - started) / 1000);
    bar.setTotal(Math.max(view.total ?? done, done, 1));
    bar.update(done, { rate: rate.toFixed(0), status: view.status });
    if (FINISHED.includes(view.status)) break;
    await new Promise((r) => setTimeout(r, intervalMs));
    view = await api.call<OperationView>('GET', path);
  }
  bar.stop();
  return view;
}

export function summarize(view: OperationView): string {
  const counts = Object.entries(view.counts)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  return `${view.kind} ${view.id} ${view.status}: ${counts}${view.sandboxSchema ? ` (sandbox schema ${view.sandboxSchema})` : ''}${view.error ? ` — ${view.error}` : ''}`;
}
