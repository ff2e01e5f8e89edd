import { and, count, countDistinct, eq, isNull, sql } from 'drizzle-orm';
import type { SynthFigures } from '../contracts/synth';
import type { SynthTraffic } from '../rules/synth-traffic';
import { getAccounting } from './accounting';
import type pg from 'pg';
import { createDb } from './client';
import { analyticsEvents, analyticsRejectedEvents } from './schema';

export interface FunnelQuery {
  steps: string[];
  /** ISO-8601 */
  from: string;
  to: string;
  windowSeconds: number;
}

/** The analytics.funnel query of a run's traffic (its steps, range and window). */
export function funnelQueryOf(funnel: SynthTraffic['funnel']): FunnelQuery {
  return { steps: funnel.steps, from: new Date(funnel.fromMs).toISOString(), to: new Date(funnel.toMs).toISOString(), windowSeconds: funnel.windowMs / 1000 };
}

/**
 * What the analyst views show for one project, as `braid synth verify`
 * compares it with a run's expectation: analytics.accounting, unresolved
 * rejections by reason, distinct persons and events by channel in
 * analytics.events, rows of analytics.sessions, and analytics.funnel.
 */
export async function synthFigures(pool: pg.Pool, projectId: string, funnel: FunnelQuery): Promise<SynthFigures> {
  const db = createDb(pool);
  const [accounting] = await getAccounting(pool, projectId);

  const r = analyticsRejectedEvents;
  const rejections = await db
    .select({ reason: r.reason, n: count() })
    .from(r)
    .where(and(eq(r.projectId, projectId), isNull(r.resolvedAt)))
    .groupBy(r.reason);

  const e = analyticsEvents;
  const [persons] = await db.select({ n: countDistinct(e.personId) }).from(e).where(eq(e.projectId, projectId));
  const channels = await db.select({ channel: e.channel, n: count() }).from(e).where(eq(e.projectId, projectId)).groupBy(e.channel);

  const sessions = await db.execute<{ n: string | number }>(sql`SELECT count(*) AS n FROM analytics.sessions WHERE project_id = ${projectId}`);
  const steps = await db.execute<{ step: number; event: string; persons: string | number }>(sql`
    SELECT step, event, persons FROM analytics.funnel(
      ${projectId}, ${sql`ARRAY[${sql.join(funnel.steps.map((s) => sql`${s}`), sql`, `)}]::text[]`},
      ${funnel.from}::timestamptz, ${funnel.to}::timestamptz, make_interval(secs => ${funnel.windowSeconds}))
    ORDER BY step`);

  return {
    accounting: {
      accepted: accounting?.accepted ?? 0,
      canonical: accounting?.canonical ?? 0,
      rejected: accounting?.rejected ?? 0,
      suppressed: accounting?.suppressed ?? 0,
      duplicates: accounting?.duplicates ?? 0,
    },
    rejectionsByReason: Object.fromEntries(rejections.map((x) => [x.reason, Number(x.n)])),
    persons: Number(persons?.n ?? 0),
    sessions: Number(sessions.rows[0]?.n ?? 0),
    funnel: steps.rows.map((s) => ({ step: Number(s.step), event: s.event, persons: Number(s.persons) })),
    eventsByChannel: Object.fromEntries(channels.map((x) => [x.channel, Number(x.n)])),
  };
}
