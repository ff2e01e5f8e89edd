/**
 * Guardrails shown beside analysts' numbers: pure rules that say when a
 * figure or a comparison may mislead. Each returns the warnings that apply
 * (none when the numbers are sound); callers gather the inputs with SQL.
 */

export type GuardrailCode =
  | 'small_segment'
  | 'not_instrumented'
  | 'schema_versions_differ'
  | 'ingestion_incident'
  | 'quality_anomaly'
  | 'late_events_window';

export interface Guardrail {
  code: GuardrailCode;
  /** `warning`: the comparison may be wrong; `info`: read with care. */
  severity: 'warning' | 'info';
  message: string;
  /** The segment, platform, event or period it is about. */
  subject: string;
}

/** A two-sided confidence interval of a proportion (Wilson score), as fractions in [0, 1]. */
export function wilsonInterval(successes: number, trials: number, z = 1.96): { low: number; high: number } {
  if (!Number.isFinite(trials) || trials <= 0) return { low: 0, high: 1 };
  const k = Math.min(Math.max(successes, 0), trials);
  const p = k / trials;
  const z2 = z * z;
  const centre = (p + z2 / (2 * trials)) / (1 + z2 / trials);
  const half = (z / (1 + z2 / trials)) * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials));
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

const percent = (x: number) => `${(x * 100).toFixed(1)} %`;

export interface Segment {
  /** e.g. `channel=mobile` or `app_version=3.1`. */
  name: string;
  persons: number;
  /** Persons who converted (the last step), when the figure is a rate. */
  converted?: number;
}

/** Segments too small to compare: fewer than `minPersons` persons, with the 95 % interval of their rate. */
export function smallSegments(segments: readonly Segment[], minPersons = 100): Guardrail[] {
  return segments
    .filter((s) => s.persons < minPersons)
    .map((s) => {
      const interval = s.converted === undefined ? '' : (({ low, high }) => `; its rate is somewhere in ${percent(low)}–${percent(high)} (95 % interval)`)(wilsonInterval(s.converted, s.persons));
      return {
        code: 'small_segment',
        severity: 'warning',
        subject: s.name,
        message: `${s.name} has ${s.persons} ${s.persons === 1 ? 'person' : 'persons'}, fewer than ${minPersons}${interval}`,
      };
    });
}

/**
 * Events a compared platform never sent in the period while others did:
 * most likely not instrumented there, so its rate is not comparable.
 * `seen` maps platform → event → count.
 */
export function notInstrumented(events: readonly string[], platforms: readonly string[], seen: ReadonlyMap<string, ReadonlyMap<string, number>>): Guardrail[] {
  const out: Guardrail[] = [];
  for (const event of new Set(events)) {
    const sending = platforms.filter((p) => (seen.get(p)?.get(event) ?? 0) > 0);
    if (sending.length === 0 || sending.length === platforms.length) continue;
    for (const platform of platforms.filter((p) => !sending.includes(p))) {
      out.push({
        code: 'not_instrumented',
        severity: 'warning',
        subject: `${platform}: ${event}`,
        message: `"${event}" never arrived from ${platform} in this period (it did from ${sending.join(', ')}): probably not instrumented there`,
      });
    }
  }
  return out;
}

/** An event whose compared platforms send different schema versions (`versions` maps platform → versions seen). */
export function schemaVersionsDiffer(event: string, versions: ReadonlyMap<string, readonly string[]>): Guardrail[] {
  const byPlatform = [...versions].filter(([, v]) => v.length > 0).map(([p, v]) => [p, [...new Set(v)].sort()] as const);
  const distinct = new Set(byPlatform.map(([, v]) => v.join(',')));
  if (distinct.size <= 1) return [];
  return [
    {
      code: 'schema_versions_differ',
      severity: 'info',
      subject: event,
      message: `"${event}" arrives in different schema versions per platform (${byPlatform.map(([p, v]) => `${p}: ${v.join(', ')}`).join('; ')}): properties may not mean the same`,
    },
  ];
}

export interface HealthMinute {
  minute: string;
  received: number;
  rejected: number;
}

/**
 * Stretches of the period where ingestion was unhealthy: minutes whose
 * rejections exceed `maxRejectedShare` of what arrived (with at least
 * `minReceived` messages, so one bad event in a quiet minute is no incident),
 * reported as one warning per run of consecutive such minutes.
 */
export function ingestionIncidents(minutes: readonly HealthMinute[], maxRejectedShare = 0.05, minReceived = 20): Guardrail[] {
  const bad = minutes
    .filter((m) => m.received >= minReceived && m.rejected / m.received > maxRejectedShare)
    .map((m) => Date.parse(m.minute))
    .filter((t) => Number.isFinite(t))
    .sort((a, b) => a - b);
  const runs: [number, number][] = [];
  for (const t of bad) {
    const last = runs.at(-1);
    if (last && t - last[1] <= 60_000) last[1] = t;
    else runs.push([t, t]);
  }
  return runs.map(([from, to]) => {
    const span = `${new Date(from).toISOString()} – ${new Date(to + 60_000).toISOString()}`;
    return {
      code: 'ingestion_incident',
      severity: 'warning',
      subject: span,
      message: `ingestion rejected more than ${percent(maxRejectedShare)} of events during ${span}: numbers there may be low`,
    };
  });
}

export interface QualityHour {
  hour: string;
  event: string;
  /** `drop`, `spike` or null (analytics.data_quality's volume_anomaly). */
  anomaly: string | null;
}

/** Hours of the compared events that data_quality flags as a volume drop or spike. */
export function qualityAnomalies(hours: readonly QualityHour[], events: readonly string[]): Guardrail[] {
  const wanted = new Set(events);
  return hours
    .filter((h) => h.anomaly !== null && wanted.has(h.event))
    .map((h) => ({
      code: 'quality_anomaly' as const,
      severity: 'warning' as const,
      subject: `${h.event} @ ${h.hour}`,
      message: `"${h.event}" had a volume ${h.anomaly} in the hour from ${h.hour}`,
    }));
}

/**
 * A period that ends less than `lateHorizonMs` before now is still
 * receiving late events (offline mobile apps send hours later), so its
 * numbers can still grow. The horizon is what the project's own lateness
 * shows (e.g. the 99th percentile of received − event time).
 */
export function lateEventsWindow(to: string, now: string, lateHorizonMs: number): Guardrail[] {
  const [end, current] = [Date.parse(to), Date.parse(now)];
  if (!Number.isFinite(end) || !Number.isFinite(current) || !(lateHorizonMs > 0)) return [];
  if (current - end >= lateHorizonMs) return [];
  const hours = lateHorizonMs / 3_600_000;
  const horizon = hours >= 1 ? `${Math.round(hours * 10) / 10} h` : `${Math.round(lateHorizonMs / 60_000)} min`;
  return [
    {
      code: 'late_events_window',
      severity: 'info',
      subject: to,
      message: `the period ends less than ${horizon} ago, and this project's events arrive up to ${horizon} late: the last part can still grow`,
    },
  ];
}
