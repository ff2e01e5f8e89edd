import { isDeepStrictEqual } from 'node:util';
import type { ChangeKind } from './schema-version';
import type { JsonSchema } from './schema-validation';

/**
 * One difference between two versions of a schema, and what it means for
 * events: `model` (the new version rejects some event the old one accepts),
 * `revision` (an existing rule loosened) or `addition` (something new planned,
 * or annotations only).
 */
export interface SchemaChange {
  path: string;
  change: string;
  kind: ChangeKind;
  message: string;
}

const TYPES = ['null', 'boolean', 'object', 'array', 'number', 'integer', 'string'] as const;
const ANNOTATIONS = new Set(['title', 'description', 'examples', 'default', '$comment', 'deprecated', 'readOnly', 'writeOnly', '$schema', '$id']);
const LOWER_BOUNDS = ['minimum', 'exclusiveMinimum', 'minLength', 'minItems', 'minProperties', 'minContains'] as const;
const UPPER_BOUNDS = ['maximum', 'exclusiveMaximum', 'maxLength', 'maxItems', 'maxProperties', 'maxContains'] as const;
/** Keywords compared one by one below; any other keyword that differs cannot be proven compatible. */
const HANDLED = new Set<string>([
  ...ANNOTATIONS,
  ...LOWER_BOUNDS,
  ...UPPER_BOUNDS,
  'type',
  'enum',
  'const',
  'multipleOf',
  'pattern',
  'format',
  'uniqueItems',
  'required',
  'properties',
  'patternProperties',
  'additionalProperties',
  'items',
  'anyOf',
  'allOf',
]);

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Every change from `before` to `after`, each classified. A change is `model`
 * (incompatible) when the new schema would reject some value the old one
 * accepts. Rules, at every depth:
 * - a property removed from `properties` (events sending it become unplanned);
 * - a property newly `required`;
 * - a narrowed `type` (number → integer, [string, null] → string, any → string);
 * - an `enum` or `const` that drops or newly restricts values;
 * - a raised minimum / lowered maximum (values, lengths, item and property counts),
 *   a new or changed `multipleOf`, `pattern` or `format`, `uniqueItems` turned on;
 * - `additionalProperties` closed or constrained; an array's `items` narrowed;
 * - any other keyword (`oneOf`, `not`, `if`, `$ref`, …) that changed in a way this
 *   check cannot prove harmless: such a change needs a new MODEL too.
 * The opposite moves are revisions; a new optional property, a new enum value
 * and annotation edits are additions. Pure.
 */
export function compareSchemas(before: JsonSchema, after: JsonSchema, path = 'properties'): SchemaChange[] {
  return compareAt(before, after, path, true);
}

/** `root`: the schema of `properties`/`traits` themselves, which are always objects. */
function compareAt(before: JsonSchema, after: JsonSchema, path: string, root: boolean): SchemaChange[] {
  if (isDeepStrictEqual(before, after)) return [];
  const out: SchemaChange[] = [];
  const add = (kind: ChangeKind, change: string, message: string, at = path) => out.push({ path: at, change, kind, message });

  if (!isObj(before) || !isObj(after)) {
    // `true` is the empty schema; `false` accepts nothing.
    if (after === false) add('model', 'schema_closed', `${path}: now accepts nothing`);
    else if (before === false) add('revision', 'schema_opened', `${path}: accepted nothing, now accepts values`);
    else return compareAt(before === true ? {} : before, after === true ? {} : after, path, root);
    return out;
  }

  compareAnnotations(before, after, path, add);
  compareTypes(before, after, path, add, root);
  compareEnum(before, after, path, add);
  compareBounds(before, after, path, add);
  compareStringRules(before, after, path, add);
  compareObject(before, after, path, add, out);
  compareItems(before, after, path, add, out);
  compareCombinators(before, after, path, add);
  for (const k of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (HANDLED.has(k) || isDeepStrictEqual(before[k], after[k])) continue;
    add('model', 'keyword_changed', `${path}: "${k}" changed, and braid cannot prove the change accepts every event the old schema did`);
  }
  return out;
}

type Add = (kind: ChangeKind, change: string, message: string, at?: string) => void;

function compareAnnotations(a: Obj, b: Obj, path: string, add: Add): void {
  const changed = [...ANNOTATIONS].filter((k) => !isDeepStrictEqual(a[k], b[k]));
  if (changed.length > 0) add('addition', 'annotation_changed', `${path}: ${changed.join(', ')} changed`);
}

function typeSet(s: Obj): Set<string> | null {
  if (s.type === undefined) return null;
  const list = (Array.isArray(s.type) ? s.type : [s.type]).map(String);
  return new Set(list);
}

function typeCovers(types: Set<string> | null, t: string): boolean {
  return types === null || types.has(t) || (t === 'integer' && types.has('number'));
}

function compareTypes(a: Obj, b: Obj, path: string, add: Add, root: boolean): void {
  // At the root only objects ever arrive: what a type says about other values does not matter.
  const onlyObjects = (t: Set<string> | null) => (root ? new Set(t === null || t.has('object') ? ['object'] : []) : t);
  const ta = onlyObjects(typeSet(a));
  const tb = onlyObjects(typeSet(b));
  if (isDeepStrictEqual(ta, tb)) return;
  const before = ta ? [...ta] : [...TYPES];
  const lost = before.filter((t) => !typeCovers(tb, t));
  const describe = (t: Set<string> | null) => (t ? [...t].join(' | ') : 'any type');
  if (lost.length > 0) add('model', 'type_narrowed', `${path}: type narrowed from ${describe(ta)} to ${describe(tb)}`);
  else add('revision', 'type_widened', `${path}: type widened from ${describe(ta)} to ${describe(tb)}`);
}

function compareEnum(a: Obj, b: Obj, path: string, add: Add): void {
  for (const k of ['enum', 'const'] as const) {
    const va = k === 'const' ? (k in a ? [a.const] : undefined) : (a.enum as unknown[] | undefined);
    const vb = k === 'const' ? (k in b ? [b.const] : undefined) : (b.enum as unknown[] | undefined);
    if (isDeepStrictEqual(va, vb)) continue;
    if (vb === undefined) {
      add('revision', `${k}_removed`, `${path}: ${k} removed`);
      continue;
    }
    if (va === undefined) {
      add('model', `${k}_added`, `${path}: values now restricted to ${JSON.stringify(vb).slice(0, 120)}`);
      continue;
    }
    const dropped = va.filter((x) => !vb.some((y) => isDeepStrictEqual(x, y)));
    const added = vb.filter((y) => !va.some((x) => isDeepStrictEqual(x, y)));
    if (dropped.length > 0) add('model', `${k}_narrowed`, `${path}: no longer accepts ${JSON.stringify(dropped).slice(0, 120)}`);
    if (added.length > 0) add('addition', `${k}_extended`, `${path}: now also accepts ${JSON.stringify(added).slice(0, 120)}`);
  }
}

function compareBounds(a: Obj, b: Obj, path: string, add: Add): void {
  for (const k of LOWER_BOUNDS) {
    const [x, y] = [a[k] as number | undefined, b[k] as number | undefined];
    if (x === y) continue;
    if (y !== undefined && (x === undefined || y > x)) add('model', `${k}_raised`, `${path}: ${k} ${x === undefined ? 'added' : `raised from ${x}`} to ${y}`);
    else add('revision', `${k}_lowered`, `${path}: ${k} ${y === undefined ? 'removed' : `lowered from ${x} to ${y}`}`);
  }
  for (const k of UPPER_BOUNDS) {
    const [x, y] = [a[k] as number | undefined, b[k] as number | undefined];
    if (x === y) continue;
    if (y !== undefined && (x === undefined || y < x)) add('model', `${k}_lowered`, `${path}: ${k} ${x === undefined ? 'added' : `lowered from ${x}`} to ${y}`);
    else add('revision', `${k}_raised`, `${path}: ${k} ${y === undefined ? 'removed' : `raised from ${x} to ${y}`}`);
  }
  const [ma, mb] = [a.multipleOf as number | undefined, b.multipleOf as number | undefined];
  if (ma !== mb) {
    if (mb === undefined) add('revision', 'multiple_of_removed', `${path}: multipleOf removed`);
    else if (ma !== undefined && Number.isInteger(ma / mb)) add('revision', 'multiple_of_relaxed', `${path}: multipleOf relaxed from ${ma} to ${mb}`);
    else add('model', 'multiple_of_changed', `${path}: multipleOf ${ma === undefined ? 'added' : `changed from ${ma}`} to ${mb}`);
  }
  if (a.uniqueItems !== b.uniqueItems) {
    if (b.uniqueItems === true) add('model', 'unique_items_added', `${path}: items must now be unique`);
    else add('revision', 'unique_items_removed', `${path}: items no longer need to be unique`);
  }
}

function compareStringRules(a: Obj, b: Obj, path: string, add: Add): void {
  for (const k of ['pattern', 'format'] as const) {
    if (a[k] === b[k]) continue;
    if (b[k] === undefined) add('revision', `${k}_removed`, `${path}: ${k} removed`);
    else add('model', `${k}_changed`, `${path}: ${k} ${a[k] === undefined ? 'added' : `changed from ${JSON.stringify(a[k])}`} to ${JSON.stringify(b[k])}`);
  }
}

function compareObject(a: Obj, b: Obj, path: string, add: Add, out: SchemaChange[]): void {
  const pa = isObj(a.properties) ? a.properties : {};
  const pb = isObj(b.properties) ? b.properties : {};
  const ra = new Set(Array.isArray(a.required) ? (a.required as string[]) : []);
  const rb = new Set(Array.isArray(b.required) ? (b.required as string[]) : []);
  for (const name of Object.keys(pa)) {
    if (!Object.hasOwn(pb, name)) add('model', 'property_removed', `${path}.${name} was removed: events that send it would be unplanned`, `${path}.${name}`);
    else out.push(...compareAt(pa[name] as JsonSchema, pb[name] as JsonSchema, `${path}.${name}`, false));
  }
  for (const name of Object.keys(pb)) {
    if (!Object.hasOwn(pa, name) && !rb.has(name)) add('addition', 'property_added', `${path}.${name} added (optional)`, `${path}.${name}`);
  }
  for (const name of rb) if (!ra.has(name)) add('model', 'required_added', `${path}.${name} is now required`, `${path}.${name}`);
  for (const name of ra) if (!rb.has(name)) add('revision', 'required_removed', `${path}.${name} is no longer required`, `${path}.${name}`);

  const xa = isObj(a.patternProperties) ? a.patternProperties : {};
  const xb = isObj(b.patternProperties) ? b.patternProperties : {};
  for (const p of Object.keys(xa)) {
    if (!Object.hasOwn(xb, p)) add('model', 'pattern_property_removed', `${path}: properties matching /${p}/ are no longer planned`);
    else out.push(...compareAt(xa[p] as JsonSchema, xb[p] as JsonSchema, `${path}./${p}/`, false));
  }
  for (const p of Object.keys(xb)) if (!Object.hasOwn(xa, p)) add('addition', 'pattern_property_added', `${path}: properties matching /${p}/ added`);

  const [aa, ab] = [a.additionalProperties, b.additionalProperties];
  if (!isDeepStrictEqual(aa, ab)) {
    const open = (v: unknown) => v === undefined || v === true;
    if (open(ab)) add('revision', 'additional_properties_opened', `${path}: other properties now accepted`);
    else if (aa === false) add('revision', 'additional_properties_opened', `${path}: other properties now accepted if they match a schema`);
    else if (ab === false) add('model', 'additional_properties_closed', `${path}: other properties are no longer accepted`);
    else if (open(aa)) add('model', 'additional_properties_constrained', `${path}: other properties now have rules`);
    else out.push(...compareAt(aa as JsonSchema, ab as JsonSchema, `${path}.*`, false));
  }
}

function compareItems(a: Obj, b: Obj, path: string, add: Add, out: SchemaChange[]): void {
  const [ia, ib] = [a.items, b.items];
  if (isDeepStrictEqual(ia, ib)) return;
  if (ib === undefined || ib === true) add('revision', 'items_opened', `${path}[]: any item now accepted`);
  else if (Array.isArray(ia) || Array.isArray(ib)) add('model', 'keyword_changed', `${path}[]: tuple items changed, and braid cannot prove the change compatible`);
  else out.push(...compareAt((ia ?? true) as JsonSchema, ib as JsonSchema, `${path}[]`, false));
}

function compareCombinators(a: Obj, b: Obj, path: string, add: Add): void {
  const [oa, ob] = [a.anyOf as unknown[] | undefined, b.anyOf as unknown[] | undefined];
  if (!isDeepStrictEqual(oa, ob)) {
    if (ob === undefined) add('revision', 'any_of_removed', `${path}: anyOf removed`);
    else if (oa !== undefined && oa.every((x) => ob.some((y) => isDeepStrictEqual(x, y)))) add('revision', 'any_of_extended', `${path}: anyOf gained alternatives`);
    else add('model', 'any_of_changed', `${path}: anyOf ${oa === undefined ? 'added' : 'lost or changed alternatives'}`);
  }
  const [la, lb] = [a.allOf as unknown[] | undefined, b.allOf as unknown[] | undefined];
  if (!isDeepStrictEqual(la, lb)) {
    if ((lb ?? []).every((y) => (la ?? []).some((x) => isDeepStrictEqual(x, y)))) add('revision', 'all_of_reduced', `${path}: allOf lost parts`);
    else add('model', 'all_of_changed', `${path}: allOf ${la === undefined ? 'added' : 'gained or changed parts'}`);
  }
}

/** The kind of version bump a list of changes needs: the most severe of them. */
export function requiredBump(changes: readonly SchemaChange[]): ChangeKind | null {
  if (changes.some((c) => c.kind === 'model')) return 'model';
  if (changes.some((c) => c.kind === 'revision')) return 'revision';
  if (changes.length > 0) return 'addition';
  return null;
}

/**
 * Whether a schema for `properties` or `traits` (always a JSON object) can
 * accept any event at all; a reason when it cannot. Pure.
 */
export function rejectsEveryObject(s: JsonSchema): string | null {
  if (s === false) return 'the schema is `false`';
  if (!isObj(s)) return null;
  const types = typeSet(s);
  if (types && !types.has('object')) return `the schema's type is ${[...types].join(' | ')}, but ${'properties and traits are always JSON objects'}`;
  if (Array.isArray(s.enum) && !s.enum.some(isObj)) return 'the schema’s enum lists no object';
  if ('const' in s && !isObj(s.const)) return 'the schema’s const is not an object';
  if (isObj(s.not) && Object.keys(s.not).length === 0) return 'the schema is `not: {}`';
  return null;
}
