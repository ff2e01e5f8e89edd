import {
  ingestionIncidents,
  lateEventsWindow,
  notInstrumented,
  qualityAnomalies,
  schemaVersionsDiffer,
  smallSegments,
  type Guardrail,
  type HealthMinute,
  type QualityHour,
  type Segment,
} from './guardrails';

/**
 * Which guardrails stand beside an analyst's figure: every rule of
 * rules/guardrails.ts applied to what was gathered for it (db/guardrail-inputs.ts).
 * Pure: the gathering is the caller's, the deciding is the rules'.
 */

/** How often a compared value (platform, channel, …) sent an event in the period, and the schema versions it named. */
export interface SegmentEvents {
  segment: string;
  event: string;
  events: number;
  versions: readonly string[];
}

export interface GuardrailInputs {
  /** The events the figure is about (funnel steps, the adopted feature, …); none: every event (quality anomalies of any event count). */
  events: readonly string[];
  /** The figure's segments, for small_segment (persons, and converted where it is a rate). */
  segments: readonly Segment[];
  minSegmentPersons?: number;
  /** The events per compared value in the period (one grouped query). */
  eventsBySegment: readonly SegmentEvents[];
  /** Values the figure compares besides those in eventsBySegment (e.g. channels with active persons that sent none of the events). */
  compared?: readonly string[];
  /** Minutes of the period in which ingestion rejected something. */
  healthMinutes: readonly HealthMinute[];
  /** Hours of the period that analytics.data_quality flags. */
  qualityHours: readonly QualityHour[];
  /** The end of the period the figure reads (for a funnel: `to` plus the conversion window). */
  periodEnd: string;
  now: string;
  /** How late the project's events arrive (p99 of received − event time), null when unknown. */
  lateHorizonMs: number | null;
}

/** Map compared value → event → events, as notInstrumented takes it. */
export function seenBySegment(rows: readonly SegmentEvents[]): Map<string, Map<string, number>> {
  const seen = new Map<string, Map<string, number>>();
  for (const r of rows) {
    const events = seen.get(r.segment) ?? new Map<string, number>();
    events.set(r.event, (events.get(r.event) ?? 0) + r.events);
    seen.set(r.segment, events);
  }
  return seen;
}

/** Map compared value → the schema versions it sent `event` with, as schemaVersionsDiffer takes it. */
export function versionsBySegment(rows: readonly SegmentEvents[], event: string): Map<string, string[]> {
  const versions = new Map<string, string[]>();
  for (const r of rows.filter((x) => x.event === event)) versions.set(r.segment, [...(versions.get(r.segment) ?? []), ...r.versions]);
  return versions;
}

/** A figure's value at one day or week of one series (e.g. adoption on web 2.0 in the week of 2026-05-04). */
export interface SeriesPoint {
  series: string;
  bucket: string;
  persons: number;
  converted?: number;
}

/**
 * A series over time as one segment for small_segment: its point with the
 * fewest persons (the noisiest one), named with its day or week. Series in
 * first-seen order; points without persons are left out (nothing to read).
 */
export function smallestPerSeries(points: readonly SeriesPoint[]): Segment[] {
  const smallest = new Map<string, SeriesPoint>();
  for (const p of points) {
    if (!(p.persons > 0)) continue;
    const known = smallest.get(p.series);
    if (!known || p.persons < known.persons) smallest.set(p.series, p);
  }
  return [...smallest.values()].map((p) => ({ name: `${p.series} (${p.bucket})`, persons: p.persons, ...(p.converted === undefined ? {} : { converted: p.converted }) }));
}

const SEVERITY_ORDER: Record<Guardrail['severity'], number> = { warning: 0, info: 1 };

/** Every guardrail that applies, warnings before notes (each rule's order kept). */
export function analysisGuardrails(inputs: GuardrailInputs): Guardrail[] {
  const compared = [...new Set([...(inputs.compared ?? []), ...inputs.eventsBySegment.map((r) => r.segment)])].sort();
  const events = [...new Set(inputs.events)];
  const all = [
    ...smallSegments(inputs.segments, inputs.minSegmentPersons),
    ...notInstrumented(events, compared, seenBySegment(inputs.eventsBySegment)),
    ...events.flatMap((event) => schemaVersionsDiffer(event, versionsBySegment(inputs.eventsBySegment, event))),
    ...ingestionIncidents(inputs.healthMinutes),
    ...qualityAnomalies(inputs.qualityHours, events.length > 0 ? events : [...new Set(inputs.qualityHours.map((h) => h.event))]),
    ...(inputs.lateHorizonMs === null ? [] : lateEventsWindow(inputs.periodEnd, inputs.now, inputs.lateHorizonMs)),
  ];
  return all.map((g, i) => ({ g, i })).sort((a, b) => SEVERITY_ORDER[a.g.severity] - SEVERITY_ORDER[b.g.severity] || a.i - b.i).map(({ g }) => g);
}
