import { isDeepStrictEqual } from 'node:util';
import { compareSchemas, rejectsEveryObject, requiredBump, type SchemaChange } from './schema-compatibility';
import { schemaTargetOf } from './schema-snapshot';
import { compileSchema, type JsonSchema, type SchemaError } from './schema-validation';
import {
  compareSchemaVersions,
  FIRST_SCHEMA_VERSION,
  formatSchemaVersion,
  nextSchemaVersion,
  parseSchemaVersion,
  type ChangeKind,
  type SchemaVersion,
} from './schema-version';

export interface PushRequest {
  key: string;
  schema: unknown;
  /** An explicit version; without it braid picks the next one the change needs. */
  version?: string;
  /** Accept an incompatible change as the next MODEL. */
  newModel?: boolean;
}

export interface StoredVersion {
  version: string;
  schema: JsonSchema;
}

export type PushChange = 'initial' | ChangeKind;

export type PushDecision =
  | { kind: 'unchanged'; version: string }
  | { kind: 'accept'; version: string; previousVersion: string | null; change: PushChange; changes: SchemaChange[]; summary: string }
  | { kind: 'refuse'; status: 400 | 409; code: 'invalid_schema' | 'incompatible_schema' | 'invalid_version' | 'version_exists'; message: string; details?: unknown };

const MAX_SUMMARY_CHANGES = 12;

/**
 * Decides a schema push against the key's stored versions. Pure.
 * - an invalid JSON Schema is refused with ajv's errors (`invalid_schema`);
 * - a schema no object can satisfy is refused (`incompatible_schema`);
 * - the same schema again is `unchanged` (pushing in CI on every build is safe);
 * - a compatible change gets the next ADDITION or REVISION (an explicit version must be that one);
 * - an incompatible change is refused (`incompatible_schema`, with every breaking change)
 *   unless it is the next MODEL (`newModel`, or the version `<model+1>-0-0`).
 */
export function decidePush(request: PushRequest, stored: readonly StoredVersion[]): PushDecision {
  const target = schemaTargetOf(request.key);
  const compiled = compileSchema(request.schema, target);
  if (!compiled.ok) return refuseInvalid(compiled.errors);
  const schema = request.schema as JsonSchema;
  const impossible = rejectsEveryObject(schema);
  if (impossible) {
    return { kind: 'refuse', status: 409, code: 'incompatible_schema', message: `this schema would make every ${request.key} event invalid: ${impossible}`, details: [{ path: target, rule: 'rejects_every_event', message: impossible }] };
  }

  let requested: SchemaVersion | null = null;
  if (request.version !== undefined) {
    requested = parseSchemaVersion(request.version);
    if (!requested) return { kind: 'refuse', status: 400, code: 'invalid_version', message: `"${request.version}" is not a MODEL-REVISION-ADDITION version such as 1-0-0` };
  }

  const versions = stored
    .map((s) => ({ ...s, parsed: parseSchemaVersion(s.version) }))
    .filter((s): s is StoredVersion & { parsed: SchemaVersion } => s.parsed !== null)
    .sort((a, b) => compareSchemaVersions(a.parsed, b.parsed));
  const current = versions.at(-1);

  if (requested) {
    const same = versions.find((v) => compareSchemaVersions(v.parsed, requested as SchemaVersion) === 0);
    if (same) {
      if (isDeepStrictEqual(same.schema, schema)) return { kind: 'unchanged', version: same.version };
      return { kind: 'refuse', status: 409, code: 'version_exists', message: `${request.key} ${same.version} exists with a different schema; versions never change once pushed` };
    }
  }

  if (!current) {
    const version = formatSchemaVersion(requested ?? FIRST_SCHEMA_VERSION);
    return { kind: 'accept', version, previousVersion: null, change: 'initial', changes: [], summary: describeInitial(schema, target) };
  }

  const changes = compareSchemas(current.schema, schema, target);
  const bump = requiredBump(changes);
  if (bump === null && !requested && !request.newModel) return { kind: 'unchanged', version: current.version };
  if (bump === null) {
    return { kind: 'refuse', status: 409, code: 'invalid_version', message: `${request.key} ${current.version} already has this schema; a new version needs a change` };
  }

  const nextModel = formatSchemaVersion(nextSchemaVersion(current.parsed, 'model'));
  const wantsModel = request.newModel === true || (requested !== null && requested.model > current.parsed.model);
  if (wantsModel) {
    if (requested && formatSchemaVersion(requested) !== nextModel) {
      return { kind: 'refuse', status: 409, code: 'invalid_version', message: `the next MODEL of ${request.key} after ${current.version} is ${nextModel}, not ${formatSchemaVersion(requested)}` };
    }
    return { kind: 'accept', version: nextModel, previousVersion: current.version, change: 'model', changes, summary: summarize(changes) };
  }

  if (bump === 'model') {
    const breaking = changes.filter((c) => c.kind === 'model');
    return {
      kind: 'refuse',
      status: 409,
      code: 'incompatible_schema',
      message: `this change to ${request.key} would reject events that ${current.version} accepts (${breaking[0]?.message}); push it as a new MODEL (${nextModel}) if producers change with it`,
      details: breaking.map((c) => ({ path: c.path, rule: c.change, message: c.message })),
    };
  }

  const expected = formatSchemaVersion(nextSchemaVersion(current.parsed, bump));
  if (requested && formatSchemaVersion(requested) !== expected) {
    const label = bump === 'revision' ? 'a REVISION' : 'an ADDITION';
    const older = compareSchemaVersions(requested, current.parsed) < 0 ? `; it must be newer than ${current.version}` : '';
    return { kind: 'refuse', status: 409, code: 'invalid_version', message: `this change to ${request.key} is ${label}: its version is ${expected}, not ${formatSchemaVersion(requested)}${older}` };
  }
  return { kind: 'accept', version: expected, previousVersion: current.version, change: bump, changes, summary: summarize(changes) };
}

function refuseInvalid(errors: SchemaError[]): PushDecision {
  const first = errors[0];
  return {
    kind: 'refuse',
    status: 400,
    code: 'invalid_schema',
    message: `not a valid JSON Schema: ${first ? `${first.path} ${first.message}` : 'unknown error'}`,
    details: errors.map((e) => ({ path: e.path, rule: e.keyword, message: e.message })),
  };
}

/** A one-line description of a change list for the changelog. */
export function summarize(changes: readonly SchemaChange[]): string {
  const shown = changes.slice(0, MAX_SUMMARY_CHANGES).map((c) => c.message);
  const more = changes.length - shown.length;
  return `${shown.join('; ')}${more > 0 ? `; and ${more} more` : ''}`;
}

function describeInitial(schema: JsonSchema, target: string): string {
  if (typeof schema !== 'object') return `first version: ${target} ${schema ? 'unconstrained' : 'closed'}`;
  const props = typeof schema.properties === 'object' && schema.properties !== null ? Object.keys(schema.properties) : [];
  const required = Array.isArray(schema.required) ? schema.required.length : 0;
  const noun = target === 'traits' ? (props.length === 1 ? 'trait' : 'traits') : props.length === 1 ? 'property' : 'properties';
  return `first version: ${props.length} ${noun}${required > 0 ? ` (${required} required)` : ''}`;
}
