/**
 * Every rule that shapes a canonical event has a version, recorded in lineage
 * as `{ step, version }`. Bump a version when its rule's output changes; a
 * rule that running workflows apply changes behind `patched()` as well.
 */
export const TRANSFORM_VERSIONS = {
  validate: 1,
  event_time: 1,
  sanitize: 1,
  naming: 1,
  /** `currency` upper-cased and checked against ISO 4217, amounts beside it checked; recorded when an event has a currency. */
  currency: 1,
  /** Checked against the project's schema registry and tracking-plan policy; recorded when the project has schemas. */
  tracking_plan: 1,
  sessionize: 1,
  consent: 1,
  minimize: 1,
} as const;

export type TransformStep = keyof typeof TRANSFORM_VERSIONS;
export interface Transform {
  step: TransformStep;
  version: number;
}

export function transform(step: TransformStep): Transform {
  return { step, version: TRANSFORM_VERSIONS[step] };
}
