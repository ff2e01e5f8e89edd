import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

/** A JSON Schema (draft-07) for an event's `properties` or `traits`. */
export type JsonSchema = boolean | JsonSchemaObject;
export type JsonSchemaObject = { [keyword: string]: unknown };

/** One way a value breaks a schema: where (`properties.total`), which keyword, and ajv's message. */
export interface SchemaError {
  path: string;
  /** The JSON pointer of the value within what was validated ('' for the root). */
  instancePath: string;
  keyword: string;
  message: string;
}

export type SchemaValidator = (value: unknown) => SchemaError[];

export type CompileOutcome = { ok: true; validate: SchemaValidator } | { ok: false; errors: SchemaError[] };

/**
 * One ajv instance for every schema braid compiles (ajv caches compiled code;
 * `addUsedSchema: false` keeps `$id`s from colliding across projects).
 * - strict schema mode: an unknown keyword ("requried") is an invalid schema, not a silent no-op;
 * - allErrors: every violation of an event is reported, not just the first;
 * - no coercion, no defaults: validating never changes an event.
 */
const ajv = new Ajv({
  allErrors: true,
  strict: true,
  strictTypes: false,
  strictTuples: false,
  strictRequired: false,
  addUsedSchema: false,
  coerceTypes: false,
  useDefaults: false,
  logger: false,
});
addFormats(ajv);

/**
 * Compiles a schema; an invalid one (not a schema, an unknown keyword, a bad
 * regex, an unresolvable `$ref`) comes back as errors a producer can read.
 * `root` names what the schema describes, for error paths.
 */
export function compileSchema(schema: unknown, root = 'properties'): CompileOutcome {
  if (typeof schema !== 'boolean' && (typeof schema !== 'object' || schema === null || Array.isArray(schema))) {
    return { ok: false, errors: [{ path: '(schema)', instancePath: '', keyword: 'type', message: 'a JSON Schema is an object (or true/false)' }] };
  }
  if (!ajv.validateSchema(schema as JsonSchema)) {
    return { ok: false, errors: (ajv.errors ?? []).map((e) => ({ path: `(schema)${e.instancePath.replaceAll('/', '.')}`, instancePath: e.instancePath, keyword: e.keyword, message: e.message ?? 'invalid' })) };
  }
  let fn: ValidateFunction;
  try {
    fn = ajv.compile(schema as JsonSchema);
  } catch (error) {
    return { ok: false, errors: [{ path: '(schema)', instancePath: '', keyword: 'compile', message: (error as Error).message }] };
  }
  return {
    ok: true,
    validate: (value) => (fn(value) ? [] : (fn.errors ?? []).map((e) => toSchemaError(e, root))),
  };
}

function toSchemaError(e: ErrorObject, root: string): SchemaError {
  const segments = e.instancePath.split('/').slice(1).map(unescapePointer);
  let path = root;
  for (const s of segments) path += /^\d+$/.test(s) ? `[${s}]` : `.${s}`;
  let message = e.message ?? 'is invalid';
  if (e.keyword === 'required') {
    path += `.${String((e.params as { missingProperty?: string }).missingProperty ?? '')}`;
    message = 'is required';
  }
  if (e.keyword === 'additionalProperties') {
    path += `.${String((e.params as { additionalProperty?: string }).additionalProperty ?? '')}`;
    message = 'is not allowed here';
  }
  return { path, instancePath: e.instancePath, keyword: e.keyword, message };
}

function unescapePointer(s: string): string {
  return s.replaceAll('~1', '/').replaceAll('~0', '~');
}

/**
 * Compiled validators by schema text, so a registry reload or a replay chunk
 * compiles each distinct schema once. Bounded: the oldest entries go first.
 */
export class SchemaCompiler {
  private readonly cache = new Map<string, CompileOutcome>();

  constructor(private readonly capacity = 5_000) {}

  compile(schema: unknown, root = 'properties'): CompileOutcome {
    const key = `${root}\u0000${JSON.stringify(schema)}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    const compiled = compileSchema(schema, root);
    if (this.cache.size >= this.capacity) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(key, compiled);
    return compiled;
  }
}
