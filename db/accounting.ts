import { asc, eq } from 'drizzle-orm';
import type pg from 'pg';
import { createDb } from './client';
import { analyticsAccounting } from './schema';

export interface AccountingRow {
  projectId: string;
  accepted: number;
  canonical: number;
  rejected: number;
  suppressed: number;
  duplicates: number;
  /** accepted − (canonical + rejected + suppressed + duplicates): messages still in flight, 0 once drained. */
  inFlight: number;
}

/** The contract's accounting identity per project, from `analytics.accounting`. */
export async function getAccounting(pool: pg.Pool, projectId?: string): Promise<AccountingRow[]> {
  const a = analyticsAccounting;
  const rows = await createDb(pool)
    .select({ projectId: a.projectId, accepted: a.accepted, canonical: a.canonical, rejected: a.rejected, suppressed: a.suppressed, duplicates: a.duplicates })
    .from(a)
    .where(projectId === undefined ? undefined : eq(a.projectId, projectId))
    .orderBy(asc(a.projectId));
  return rows.map((r) => ({ ...r, inFlight: r.accepted - (r.canonical + r.rejected + r.suppressed + r.duplicates) }));
}

/** Waits until a project's accepted messages are all accounted for and at least `minAccepted` arrived. */
export async function waitForDrain(pool: pg.Pool, projectId: string, minAccepted: number, timeoutMs: number): Promise<AccountingRow> {
  const deadline = Date.now() + timeoutMs;
  let last: AccountingRow | undefined;
  while (Date.now() < deadline) {
    [last] = await getAccounting(pool, projectId);
    if (last && last.accepted >= minAccepted && last.inFlight === 0) return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`project ${projectId} did not drain within ${timeoutMs} ms: ${JSON.stringify(last ?? 'no messages accounted')}`);
}
