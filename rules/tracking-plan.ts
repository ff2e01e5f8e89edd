import { VIOLATION_KINDS, type EventType, type ViolationKind } from '../contracts/envelope';
import type { ProjectSettings } from '../contracts/project';
import { probableDuplicates } from './event-name-key';
import { parseSchemaVersion } from './schema-version';
import { registryKeyOf, schemaTargetOf, type RegisteredSchema, type RegistrySnapshot } from './schema-snapshot';

export type TrackingPlanPolicy = ProjectSettings['trackingPlan'];
export type Policy = TrackingPlanPolicy[keyof TrackingPlanPolicy];


/** Which of the project's four policies decides each kind. */
export const POLICY_FOR: Record<ViolationKind, keyof TrackingPlanPolicy> = {
  unplanned_event: 'unplannedEvents',
  naming_violation: 'namingViolations',
  unknown_schema_version: 'schemaViolations',
  schema_violation: 'schemaViolations',
  unplanned_property: 'unplannedProperties',
  invalid_currency: 'schemaViolations',
  invalid_amount: 'schemaViolations',
};

export const DEFAULT_TRACKING_PLAN: TrackingPlanPolicy = {
  unplannedEvents: 'flag',
  unplannedProperties: 'flag',
  namingViolations: 'flag',
  schemaViolations: 'flag',
};

export interface PlanViolation {
  kind: ViolationKind;
  /** Where in the event: `event`, `properties.total`, `traits.email`, `context.schemaVersion`. */
  path: string;
  message: string;
  /** The short part of the lineage flag after the kind, if any. */
  detail?: string;
}

/** Per kind, at most this many violations are reported for one event. */
export const MAX_VIOLATIONS_PER_KIND = 20;
const MAX_DETAIL_CHARS = 80;

/** The lineage flag of a violation: `kind` or `kind:detail`. */
export function violationFlag(v: PlanViolation): string {
  return v.detail === undefined ? v.kind : `${v.kind}:${v.detail.slice(0, MAX_DETAIL_CHARS)}`;
}

export interface PlanInput {
  type: EventType;
  event?: string;
  properties: Record<string, unknown>;
  traits: Record<string, unknown>;
  context: Record<string, unknown>;
}

/** The context field with which an event may name the schema version it was built against. */
export const SCHEMA_VERSION_FIELD = 'schemaVersion';

/**
 * Checks an event against its project's schema registry. Pure.
 * - a track event with no schema, in a project that plans track events, is an `unplanned_event`;
 * - `context.schemaVersion`, when given, picks the version to check against
 *   (a producer on MODEL 1 keeps passing after MODEL 2 lands); a version the
 *   registry does not have is an `unknown_schema_version`, and the current one is used;
 * - the schema's errors are `schema_violation`s, except an undeclared top-level
 *   property, which is an `unplanned_property` (even under `additionalProperties: false`),
 *   so its policy alone decides it.
 * Returns the schema version it checked against, if any.
 */
export function checkAgainstRegistry(input: PlanInput, registry: RegistrySnapshot): { violations: PlanViolation[]; checkedAgainst?: RegisteredSchema } {
  const key = registryKeyOf(input);
  if (key === null) return { violations: [] };
  const violations: PlanViolation[] = [];
  const current = registry.current(key);

  if (!current && input.type === 'track' && registry.hasTrackPlan) {
    const similar = probableDuplicates(key, registry.keys());
    violations.push({
      kind: 'unplanned_event',
      path: 'event',
      message: `"${key}" is not in the tracking plan${similar.length > 0 ? `; did you mean ${similar.map((s) => `"${s}"`).join(' or ')}?` : ''}`,
    });
  }

  let schema = current;
  const pinned = input.context[SCHEMA_VERSION_FIELD];
  if (pinned !== undefined && pinned !== null) {
    const text = typeof pinned === 'string' ? pinned : JSON.stringify(pinned);
    const found = typeof pinned === 'string' && parseSchemaVersion(pinned) ? registry.find(key, pinned) : undefined;
    if (found) schema = found;
    else {
      violations.push({
        kind: 'unknown_schema_version',
        path: `context.${SCHEMA_VERSION_FIELD}`,
        detail: text.slice(0, 24),
        message: current
          ? `"${key}" has no schema version ${text} (the current one is ${current.version}); checked against ${current.version}`
          : `"${key}" has no schema, so no version ${text}`,
      });
    }
  }
  if (!schema) return { violations };

  const target = schemaTargetOf(key);
  const value = target === 'properties' ? input.properties : input.traits;
  const schemaErrors = schema.validate(value).filter((e) => !(e.keyword === 'additionalProperties' && e.instancePath === ''));
  for (const e of schemaErrors.slice(0, MAX_VIOLATIONS_PER_KIND)) {
    violations.push({ kind: 'schema_violation', path: e.path, detail: e.path, message: `${e.path} ${e.message} (${key} ${schema.version})` });
  }
  for (const name of unplannedKeys(schema.schema, value).slice(0, MAX_VIOLATIONS_PER_KIND)) {
    violations.push({ kind: 'unplanned_property', path: `${target}.${name}`, detail: name, message: `${target}.${name} is not in the schema of ${key} ${schema.version}` });
  }
  return { violations, checkedAgainst: schema };
}

const patternCache = new WeakMap<object, RegExp[]>();

/**
 * Top-level keys of `value` the schema does not plan. A schema plans its
 * `properties` and whatever its `patternProperties` match; `additionalProperties`
 * as `true` or as a schema plans everything else too. A schema that says
 * nothing about properties at all (`{}`, `{"type": "object"}`) plans no
 * property one by one, so none is unplanned.
 */
export function unplannedKeys(schema: unknown, value: Record<string, unknown>): string[] {
  if (typeof schema !== 'object' || schema === null) return [];
  const s = schema as Record<string, unknown>;
  if (!('properties' in s) && !('patternProperties' in s) && !('additionalProperties' in s)) return [];
  if (s.additionalProperties === true || isObject(s.additionalProperties)) return [];
  const declared = isObject(s.properties) ? s.properties : {};
  let patterns = patternCache.get(s);
  if (!patterns) {
    patterns = isObject(s.patternProperties) ? Object.keys(s.patternProperties).flatMap((p) => safeRegExp(p)) : [];
    patternCache.set(s, patterns);
  }
  return Object.keys(value).filter((k) => !Object.hasOwn(declared, k) && !(patterns as RegExp[]).some((r) => r.test(k)));
}

function safeRegExp(pattern: string): RegExp[] {
  try {
    return [new RegExp(pattern, 'u')];
  } catch {
    return [];
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export type PlanDecision =
  | { kind: 'write'; flags: string[]; recorded: PlanViolation[] }
  | { kind: 'block'; reason: ViolationKind; message: string; blocking: PlanViolation[]; recorded: PlanViolation[] };

const rank = (v: PlanViolation) => VIOLATION_KINDS.indexOf(v.kind);

/**
 * The project's tracking-plan policy applied to an event's violations. Pure.
 * Each kind is `allow` (ignored), `flag` (written, recorded in the lineage
 * flags) or `block` (rejected). A blocked event's reason is its first blocking
 * kind in VIOLATION_KINDS order; its details list every violation that is not
 * allowed (the blocking ones in that order, then the flagged ones).
 */
export function decidePlan(violations: readonly PlanViolation[], policy: TrackingPlanPolicy = DEFAULT_TRACKING_PLAN): PlanDecision {
  const blocking: PlanViolation[] = [];
  const recorded: PlanViolation[] = [];
  for (const v of violations) {
    const decision: Policy = policy[POLICY_FOR[v.kind]] ?? 'flag';
    if (decision === 'block') blocking.push(v);
    else if (decision === 'flag') recorded.push(v);
  }
  if (blocking.length > 0) {
    const ordered = [...blocking].sort((a, b) => rank(a) - rank(b));
    const first = ordered[0] as PlanViolation;
    return { kind: 'block', reason: first.kind, message: first.message, blocking: ordered, recorded };
  }
  return { kind: 'write', flags: [...new Set(recorded.map(violationFlag))], recorded };
}
