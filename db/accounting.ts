import type pg from 'pg';

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
  const res = await pool.query<{ project_id: string; accepted: number; canonical: number; rejected: number; suppressed: number; duplicates: number }>(
    `SELECT project_id, accepted, canonical, rejected, suppressed, duplicates FROM analytics.accounting
     WHERE $1::text IS NULL OR project_id = $1 ORDER BY project_id`,
    [projectId ?? null],
  );
  return res.rows.map((r) => ({
    projectId: r.project_id,
    accepted: r.accepted,
    canonical: r.canonical,
    rejected: r.rejected,
    suppressed: r.suppressed,
    duplicates: r.duplicates,
    inFlight: r.accepted - (r.canonical + r.rejected + r.suppressed + r.duplicates),
  }));
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
