/** One event of a subject (a person, or a device) that names a funnel step. */
export interface FunnelEvent {
  timeMs: number;
  /** Breaks ties of time, as (event_time, event_id) order does in analytics.funnel. */
  id: string;
  event: string;
}

export interface FunnelSpan {
  /** Step 1 happens in [fromMs, toMs). */
  fromMs: number;
  toMs: number;
  /** Step k happens at most this long after step 1. */
  windowMs: number;
}

/**
 * How many subjects reached each step, as db/views/funnel_persons.sql
 * defines it: a subject reaches step k when it did steps 1..k in (time, id)
 * order, step 1 in [from, to), step k at most the window after step 1. Per
 * subject, the latest possible start of a chain ending at each event, one
 * step at a time. Pure.
 */
export function reachedSteps(subjects: Iterable<readonly FunnelEvent[]>, steps: readonly string[], span: FunnelSpan): number[] {
  const reached = steps.map(() => 0);
  for (const events of subjects) {
    const list = events
      .filter((e) => steps.includes(e.event) && e.timeMs >= span.fromMs && e.timeMs < span.toMs + span.windowMs)
      .sort((a, b) => a.timeMs - b.timeMs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    let starts: (number | null)[] = list.map((e) => (e.event === steps[0] && e.timeMs < span.toMs ? e.timeMs : null));
    for (let k = 0; k < steps.length; k++) {
      if (k > 0) {
        const previous = starts;
        let best: number | null = null;
        starts = list.map((e, i) => {
          const start = e.event === steps[k] ? best : null;
          const before = previous[i] ?? null;
          if (before !== null && (best === null || before > best)) best = before;
          return start;
        });
      }
      if (list.some((e, i) => starts[i] !== null && e.timeMs - (starts[i] as number) <= span.windowMs)) reached[k] = (reached[k] ?? 0) + 1;
    }
  }
  return reached;
}
