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
