import type pg from 'pg';
import type { Breakdown } from '../contracts/analysis';
import { anomalousHours, eventsBySegment, freshness, lateHorizonMs, rejectingMinutes, type Freshness } from '../db/guardrail-inputs';
import { analysisGuardrails } from '../rules/analysis-guardrails';
import type { Guardrail, Segment } from '../rules/guardrails';

/** What an analyst's figure is about, for the guardrails and the freshness line beside it. */
export interface FigureScope {
  projectId: string;
  from: string;
  /** The end of what the figure reads (a funnel's `to` plus its conversion window). */
  until: string;
  /** The events it is about; none for figures over every event. */
  events: readonly string[];
  /** The values compared for not_instrumented and schema_versions_differ. */
  compareBy: Breakdown;
  /** Values the figure compares that may have sent none of the events (e.g. adoption's channels). */
  compared?: readonly string[];
  /** The figure's segments, for small_segment. */
  segments: readonly Segment[];
}

/**
 * What stands beside a figure: how fresh it is, and the guardrails that apply
 * to it. The inputs are gathered by db/guardrail-inputs.ts, the deciding is
 * rules/analysis-guardrails.ts's.
 */
export async function besideTheFigure(pool: pg.Pool, scope: FigureScope): Promise<{ freshness: Freshness; guardrails: Guardrail[] }> {
  const period = { projectId: scope.projectId, from: scope.from, until: scope.until };
  const [bySegment, minutes, hours, horizon, fresh] = await Promise.all([
    eventsBySegment(pool, period, scope.events, scope.compareBy),
    rejectingMinutes(pool, period),
    anomalousHours(pool, period, scope.events),
    lateHorizonMs(pool, scope.projectId),
    freshness(pool, period),
  ]);
  const guardrails = analysisGuardrails({
    events: scope.events,
    segments: scope.segments,
    eventsBySegment: bySegment,
    compared: scope.compared,
    healthMinutes: minutes,
    qualityHours: hours,
    periodEnd: scope.until,
    now: fresh.now,
    lateHorizonMs: horizon,
  });
  return { freshness: fresh, guardrails };
}
