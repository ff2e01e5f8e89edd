/**
 * Consent, as pure rules.
 *
 * Reading an event's consent: `context.consent.categoryPreferences` (Segment:
 * `{ "Analytics": true, "advertising": false }`, keys case-insensitive) and
 * `context.consentManagement` (RudderStack: `deniedConsentIds`, and
 * `allowedConsentIds`). Precedence within one event: a category denied by
 * either form is denied (deny wins); otherwise granted if either form grants
 * it. Values that are not booleans (and ids that are not strings) are ignored
 * and flagged, never guessed. Unknown category names are kept as they are:
 * they only matter when a project requires them.
 *
 * Deciding an event: the state of a category at time t is the latest record
 * (by the event time it took effect; on a tie, a denial) at or before t,
 * whatever order the records arrived in.
 * - `opt-out` projects: allowed unless the state at the event's time is denied.
 * - `opt-in` projects: the state at the event's time decides when known;
 *   otherwise the first decision within the hold window after the event
 *   decides (a banner answered three minutes in covers the page views before
 *   it); with none, the event is held, and once the hold is over, dropped.
 */
export type ConsentMode = 'opt-in' | 'opt-out';

export interface ConsentReading {
  categories: Record<string, boolean>;
  flags: string[];
}

export interface ConsentRecord {
  category: string;
  granted: boolean;
  effectiveAtMs: number;
}

export type ConsentDecision =
  | { kind: 'allow' }
  | { kind: 'suppress'; reason: 'consent_denied' | 'consent_not_given' }
  | { kind: 'hold' };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function readConsent(context: Record<string, unknown>): ConsentReading {
  const flags: string[] = [];
  const granted = new Set<string>();
  const denied = new Set<string>();

  if (context.consent !== undefined && !isObject(context.consent)) flags.push('consent_ignored');
  const preferences = isObject(context.consent) ? context.consent.categoryPreferences : undefined;
  if (preferences !== undefined) {
    if (!isObject(preferences)) flags.push('consent_preferences_ignored');
    else
      for (const [key, value] of Object.entries(preferences)) {
        const category = key.trim().toLowerCase();
        if (category === '') continue;
        if (value === true) granted.add(category);
        else if (value === false) denied.add(category);
        else flags.push(`consent_value_ignored:${category}`);
      }
  }
  const management = context.consentManagement;
  if (management !== undefined) {
    if (!isObject(management)) flags.push('consent_management_ignored');
    else {
      for (const [field, target] of [['deniedConsentIds', denied], ['allowedConsentIds', granted]] as const) {
        const ids = management[field];
        if (ids === undefined) continue;
        if (!Array.isArray(ids)) {
          flags.push(`consent_${field}_ignored`);
          continue;
        }
        for (const id of ids) {
          if (typeof id === 'string' && id.trim() !== '') target.add(id.trim().toLowerCase());
          else flags.push(`consent_id_ignored`);
        }
      }
    }
  }
  const categories: Record<string, boolean> = {};
  for (const c of granted) categories[c] = true;
  for (const c of denied) categories[c] = false; // deny wins
  return { categories, flags: [...new Set(flags)] };
}

/** The category an event needs: its per-event override, else the project's default. */
export function requiredCategory(requirements: { default: string; events: Record<string, string> }, eventName: string | undefined): string {
  // Own properties only: an event named "constructor" must not find Object.prototype's.
  return eventName !== undefined && Object.hasOwn(requirements.events, eventName) ? (requirements.events[eventName] as string) : requirements.default;
}

/** The state of a category at time t: the latest record at or before t (a denial wins a tie). */
export function stateAt(records: readonly ConsentRecord[], category: string, t: number): boolean | null {
  let best: ConsentRecord | null = null;
  for (const r of records) {
    if (r.category !== category || r.effectiveAtMs > t) continue;
    if (!best || r.effectiveAtMs > best.effectiveAtMs || (r.effectiveAtMs === best.effectiveAtMs && !r.granted)) best = r;
  }
  return best ? best.granted : null;
}

/** The first decision after t within the hold window (a denial wins a tie). */
function firstAfter(records: readonly ConsentRecord[], category: string, t: number, holdMs: number): boolean | null {
  let best: ConsentRecord | null = null;
  for (const r of records) {
    if (r.category !== category || r.effectiveAtMs <= t || r.effectiveAtMs > t + holdMs) continue;
    if (!best || r.effectiveAtMs < best.effectiveAtMs || (r.effectiveAtMs === best.effectiveAtMs && !r.granted)) best = r;
  }
  return best ? best.granted : null;
}

export function decideConsent(input: {
  mode: ConsentMode;
  category: string;
  eventTimeMs: number;
  records: readonly ConsentRecord[];
  holdMs: number;
  /** The hold is over: decide now, with what is known. */
  final: boolean;
}): ConsentDecision {
  const now = stateAt(input.records, input.category, input.eventTimeMs);
  if (now === false) return { kind: 'suppress', reason: 'consent_denied' };
  if (now === true || input.mode === 'opt-out') return { kind: 'allow' };
  const later = firstAfter(input.records, input.category, input.eventTimeMs, input.holdMs);
  if (later === true) return { kind: 'allow' };
  if (later === false) return { kind: 'suppress', reason: 'consent_denied' };
  return input.final ? { kind: 'suppress', reason: 'consent_not_given' } : { kind: 'hold' };
}
