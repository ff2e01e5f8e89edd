/** One hour of one event's data quality, as analytics.data_quality has it. */
export interface QualityHour {
  volume: number;
  nullUserIdShare: number | null;
  nullAnonymousIdShare: number | null;
  schemaViolations: number;
  unplannedEvents: number;
  unplannedProperties: number;
  namingViolations: number;
  currencyViolations: number;
  blocked: number;
  expectedVolume: number | null;
  volumeAnomaly: 'drop' | 'spike' | null;
  /** Per top-level property seen in the hour: the share of events without it (missing or null). */
  propertyNullShares?: Record<string, number> | null;
}

/** A reason to look at an hour, with the figures behind it, in words a product team can act on. */
export interface QualityFlag {
  kind: 'volume_drop' | 'volume_spike' | 'no_identity' | 'property_nulls' | 'schema_violations' | 'unplanned' | 'naming' | 'currency' | 'blocked';
  why: string;
}

/** Share of events without any id (neither userId nor anonymousId can be missing on both, so this is userId) worth a flag. */
export const NULL_SHARE_FLAG = 0.5;

/** Events in an hour below which a property's null share is not worth a flag (too few to say). */
export const PROPERTY_NULLS_MIN_VOLUME = 10;

const pct = (share: number) => `${Math.round(share * 1000) / 10} %`;
const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;

/**
 * Why an hour of an event is worth a look (nothing when it is fine): volume
 * against the median of the same hour on the 7 days before, ids that are
 * mostly missing, and tracking-plan violations, flagged or blocked. Pure.
 */
export function qualityFlags(h: QualityHour): QualityFlag[] {
  const flags: QualityFlag[] = [];
  const expected = h.expectedVolume === null ? null : Math.round(h.expectedVolume * 10) / 10;
  if (h.volumeAnomaly === 'drop') flags.push({ kind: 'volume_drop', why: `${h.volume} events where about ${expected} were expected (the median of this hour on the 7 days before): under half` });
  if (h.volumeAnomaly === 'spike') flags.push({ kind: 'volume_spike', why: `${h.volume} events where about ${expected} were expected (the median of this hour on the 7 days before): over twice` });
  if (h.volume > 0 && h.nullUserIdShare !== null && h.nullUserIdShare >= NULL_SHARE_FLAG && h.nullAnonymousIdShare !== null && h.nullAnonymousIdShare >= NULL_SHARE_FLAG) {
    flags.push({ kind: 'no_identity', why: `${pct(h.nullUserIdShare)} without userId and ${pct(h.nullAnonymousIdShare)} without anonymousId` });
  }
  const nullish = Object.entries(h.propertyNullShares ?? {})
    .filter(([, share]) => share >= NULL_SHARE_FLAG)
    .sort(([a, x], [b, y]) => y - x || a.localeCompare(b));
  if (h.volume >= PROPERTY_NULLS_MIN_VOLUME && nullish.length > 0) {
    const shown = nullish.slice(0, 3).map(([name, share]) => `properties.${name} in ${pct(share)}`);
    flags.push({ kind: 'property_nulls', why: `missing or null: ${shown.join(', ')}${nullish.length > 3 ? ` and ${nullish.length - 3} more` : ''} of the events` });
  }
  if (h.schemaViolations > 0) flags.push({ kind: 'schema_violations', why: `${plural(h.schemaViolations, 'event')} broke the event's registered schema` });
  if (h.unplannedEvents + h.unplannedProperties > 0) {
    flags.push({ kind: 'unplanned', why: `${plural(h.unplannedEvents, 'event')} not in the tracking plan, ${plural(h.unplannedProperties, 'event')} with properties it does not list` });
  }
  if (h.namingViolations > 0) flags.push({ kind: 'naming', why: `${plural(h.namingViolations, 'event')} named against the project's naming convention` });
  if (h.currencyViolations > 0) flags.push({ kind: 'currency', why: `${plural(h.currencyViolations, 'event')} with an invalid currency or amount` });
  if (h.blocked > 0) flags.push({ kind: 'blocked', why: `${plural(h.blocked, 'event')} blocked by the tracking plan (not written; see Rejections)` });
  return flags;
}
