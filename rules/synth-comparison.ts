import type { SynthFigures } from '../contracts/synth';

/** One figure that differs between an expectation and the analyst views. */
export interface FigureDifference {
  /** e.g. `accounting.duplicates`, `rejections.missing_event`, `sessions`, `funnel.2 Product Added`, `events.web` */
  figure: string;
  expected: number;
  actual: number;
}

/**
 * Every figure that differs, in a stable order (accounting, rejections by
 * reason, persons, sessions, funnel steps, events by channel); a reason or
 * channel missing on one side counts as 0 there. Pure.
 */
export function compareFigures(expected: SynthFigures, actual: SynthFigures): FigureDifference[] {
  const out: FigureDifference[] = [];
  const check = (figure: string, e: number, a: number) => {
    if (e !== a) out.push({ figure, expected: e, actual: a });
  };
  for (const key of ['accepted', 'canonical', 'rejected', 'suppressed', 'duplicates'] as const) check(`accounting.${key}`, expected.accounting[key], actual.accounting[key]);
  for (const [key, e, a] of keyed(expected.rejectionsByReason, actual.rejectionsByReason)) check(`rejections.${key}`, e, a);
  check('persons', expected.persons, actual.persons);
  check('sessions', expected.sessions, actual.sessions);
  const steps = Math.max(expected.funnel.length, actual.funnel.length);
  for (let i = 0; i < steps; i++) {
    const [e, a] = [expected.funnel[i], actual.funnel[i]];
    check(`funnel.${i + 1} ${e?.event ?? a?.event ?? ''}`.trimEnd(), e?.persons ?? 0, a?.persons ?? 0);
  }
  for (const [key, e, a] of keyed(expected.eventsByChannel, actual.eventsByChannel)) check(`events.${key}`, e, a);
  return out;
}

/** The union of two count maps' keys, sorted, with both sides' counts (0 where absent). */
function keyed(expected: Record<string, number>, actual: Record<string, number>): [string, number, number][] {
  const keys = [...new Set([...Object.keys(expected), ...Object.keys(actual)])].sort();
  return keys.map((k) => [k, expected[k] ?? 0, actual[k] ?? 0]);
}

/** `sessions: expected 86, actual 112` */
export function describeDifference(d: FigureDifference): string {
  return `${d.figure}: expected ${d.expected}, actual ${d.actual}`;
}
