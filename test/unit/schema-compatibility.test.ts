import { describe, expect, it } from 'vitest';
import { compareSchemas, rejectsEveryObject, requiredBump } from '../../rules/schema-compatibility';
import type { JsonSchema } from '../../rules/schema-validation';

const base: JsonSchema = {
  type: 'object',
  properties: {
    orderId: { type: 'string' },
    total: { type: 'number', minimum: 0 },
    quantity: { type: 'integer', minimum: 1, maximum: 100 },
    status: { type: 'string', enum: ['paid', 'pending'] },
    coupon: { type: ['string', 'null'], maxLength: 20 },
    items: { type: 'array', maxItems: 50, items: { type: 'object', properties: { sku: { type: 'string' } }, required: ['sku'] } },
  },
  required: ['orderId', 'total'],
};
type Obj = Record<string, unknown>;
const props = (s: JsonSchema) => (s as Obj).properties as Record<string, Obj>;
/** `base` with one property's schema replaced (or removed with undefined). */
function withProp(name: string, schema: Obj | undefined, extra: Obj = {}): JsonSchema {
  const next = { ...props(base) };
  if (schema === undefined) delete next[name];
  else next[name] = schema;
  return { ...(base as Obj), properties: next, ...extra };
}

describe('compareSchemas: changes that would reject events the old version accepts need a new MODEL', () => {
  it.each([
    { label: 'a property removed', after: withProp('coupon', undefined), change: 'property_removed', path: 'properties.coupon' },
    { label: 'a new required property', after: withProp('currency', { type: 'string' }, { required: ['orderId', 'total', 'currency'] }), change: 'required_added', path: 'properties.currency' },
    { label: 'an existing property made required', after: { ...(base as Obj), required: ['orderId', 'total', 'status'] }, change: 'required_added', path: 'properties.status' },
    { label: 'number narrowed to integer', after: withProp('total', { type: 'integer', minimum: 0 }), change: 'type_narrowed', path: 'properties.total' },
    { label: 'string | null narrowed to string', after: withProp('coupon', { type: 'string', maxLength: 20 }), change: 'type_narrowed', path: 'properties.coupon' },
    { label: 'a type changed', after: withProp('orderId', { type: 'integer' }), change: 'type_narrowed', path: 'properties.orderId' },
    { label: 'an enum value removed', after: withProp('status', { type: 'string', enum: ['paid'] }), change: 'enum_narrowed', path: 'properties.status' },
    { label: 'an enum added to a free string', after: withProp('orderId', { type: 'string', enum: ['a', 'b'] }), change: 'enum_added', path: 'properties.orderId' },
    { label: 'a const added', after: withProp('orderId', { type: 'string', const: 'x' }), change: 'const_added', path: 'properties.orderId' },
    { label: 'a minimum raised', after: withProp('total', { type: 'number', minimum: 1 }), change: 'minimum_raised', path: 'properties.total' },
    { label: 'a maximum lowered', after: withProp('quantity', { type: 'integer', minimum: 1, maximum: 10 }), change: 'maximum_lowered', path: 'properties.quantity' },
    { label: 'a maximum added', after: withProp('total', { type: 'number', minimum: 0, maximum: 1000 }), change: 'maximum_lowered', path: 'properties.total' },
    { label: 'an exclusive minimum added', after: withProp('total', { type: 'number', minimum: 0, exclusiveMinimum: 0 }), change: 'exclusiveMinimum_raised', path: 'properties.total' },
    { label: 'a maxLength lowered', after: withProp('coupon', { type: ['string', 'null'], maxLength: 10 }), change: 'maxLength_lowered', path: 'properties.coupon' },
    { label: 'a minLength added', after: withProp('orderId', { type: 'string', minLength: 3 }), change: 'minLength_raised', path: 'properties.orderId' },
    { label: 'a pattern added', after: withProp('orderId', { type: 'string', pattern: '^o-' }), change: 'pattern_changed', path: 'properties.orderId' },
    { label: 'a format added', after: withProp('orderId', { type: 'string', format: 'uuid' }), change: 'format_changed', path: 'properties.orderId' },
    { label: 'a multipleOf added', after: withProp('total', { type: 'number', minimum: 0, multipleOf: 0.01 }), change: 'multiple_of_changed', path: 'properties.total' },
    { label: 'items made unique', after: withProp('items', { ...props(base).items, uniqueItems: true }), change: 'unique_items_added', path: 'properties.items' },
    { label: 'fewer items allowed', after: withProp('items', { ...props(base).items, maxItems: 5 }), change: 'maxItems_lowered', path: 'properties.items' },
    { label: 'a nested property narrowed', after: withProp('items', { ...props(base).items, items: { type: 'object', properties: { sku: { type: 'string', maxLength: 8 } }, required: ['sku'] } }), change: 'maxLength_lowered', path: 'properties.items[].sku' },
    { label: 'other properties closed', after: { ...(base as Obj), additionalProperties: false }, change: 'additional_properties_closed', path: 'properties' },
    { label: 'other properties constrained', after: { ...(base as Obj), additionalProperties: { type: 'string' } }, change: 'additional_properties_constrained', path: 'properties' },
    { label: 'a property closed off with false', after: withProp('coupon', false as unknown as Obj), change: 'schema_closed', path: 'properties.coupon' },
    { label: 'oneOf added (not provable)', after: withProp('orderId', { oneOf: [{ type: 'string' }, { type: 'integer' }] }), change: 'keyword_changed', path: 'properties.orderId' },
    { label: 'a not added (not provable)', after: withProp('orderId', { type: 'string', not: { const: 'x' } }), change: 'keyword_changed', path: 'properties.orderId' },
    { label: 'an anyOf added where a type was', after: withProp('coupon', { anyOf: [{ type: 'string' }] }), change: 'any_of_changed', path: 'properties.coupon' },
  ])('$label', ({ after, change, path }) => {
    const changes = compareSchemas(base, after);
    expect(changes).toContainEqual(expect.objectContaining({ change, kind: 'model', path }));
    expect(requiredBump(changes)).toBe('model');
  });

  it('reports every breaking change, not just the first', () => {
    const after = { ...(withProp('coupon', undefined) as Obj), required: ['orderId', 'total', 'status'] };
    const breaking = compareSchemas(base, after).filter((c) => c.kind === 'model');
    expect(breaking.map((c) => c.change).sort()).toEqual(['property_removed', 'required_added']);
  });
});

describe('compareSchemas: compatible changes', () => {
  it.each([
    { label: 'a new optional property', after: withProp('currency', { type: 'string' }), change: 'property_added', kind: 'addition' },
    { label: 'an enum value added', after: withProp('status', { type: 'string', enum: ['paid', 'pending', 'refunded'] }), change: 'enum_extended', kind: 'addition' },
    { label: 'a description changed', after: withProp('total', { type: 'number', minimum: 0, description: 'in the order currency' }), change: 'annotation_changed', kind: 'addition' },
    { label: 'integer widened to number', after: withProp('quantity', { type: 'number', minimum: 1, maximum: 100 }), change: 'type_widened', kind: 'revision' },
    { label: 'null allowed', after: withProp('orderId', { type: ['string', 'null'] }), change: 'type_widened', kind: 'revision' },
    { label: 'a required property made optional', after: { ...(base as Obj), required: ['orderId'] }, change: 'required_removed', kind: 'revision' },
    { label: 'a minimum lowered', after: withProp('quantity', { type: 'integer', minimum: 0, maximum: 100 }), change: 'minimum_lowered', kind: 'revision' },
    { label: 'a maximum raised', after: withProp('quantity', { type: 'integer', minimum: 1, maximum: 1000 }), change: 'maximum_raised', kind: 'revision' },
    { label: 'a maxLength removed', after: withProp('coupon', { type: ['string', 'null'] }), change: 'maxLength_raised', kind: 'revision' },
    { label: 'an enum dropped', after: withProp('status', { type: 'string' }), change: 'enum_removed', kind: 'revision' },
    { label: 'a property left unconstrained', after: withProp('total', {}), change: 'type_widened', kind: 'revision' },
    { label: 'a nested maxItems raised', after: withProp('items', { ...props(base).items, maxItems: 500 }), change: 'maxItems_raised', kind: 'revision' },
  ])('$label', ({ after, change, kind }) => {
    const changes = compareSchemas(base, after);
    expect(changes).toContainEqual(expect.objectContaining({ change, kind }));
    expect(changes.filter((c) => c.kind === 'model')).toEqual([]);
    expect(requiredBump(changes)).toBe(kind);
  });

  it('an anyOf that gains an alternative is a revision', () => {
    const before: JsonSchema = { properties: { v: { anyOf: [{ type: 'string' }, { type: 'null' }] } } };
    const after: JsonSchema = { properties: { v: { anyOf: [{ type: 'string' }, { type: 'null' }, { type: 'number' }] } } };
    expect(requiredBump(compareSchemas(before, after))).toBe('revision');
  });

  it('opening closed properties is a revision; a new property beside additionalProperties:false is an addition', () => {
    const closed = { ...(base as Obj), additionalProperties: false };
    expect(requiredBump(compareSchemas(closed, base))).toBe('revision');
    expect(requiredBump(compareSchemas(closed, { ...closed, properties: { ...props(base), extra: { type: 'string' } } }))).toBe('addition');
  });

  it('the same schema is no change at all', () => {
    expect(compareSchemas(base, structuredClone(base))).toEqual([]);
    expect(requiredBump([])).toBeNull();
  });

  it('declaring type object at the root changes nothing that matters (properties are always objects)', () => {
    const untyped = { properties: props(base), required: ['orderId', 'total'] };
    expect(compareSchemas(untyped, base).filter((c) => c.kind === 'model')).toEqual([]);
    expect(compareSchemas(base, untyped).filter((c) => c.kind === 'model')).toEqual([]);
  });

  it('true and {} are the same schema; from false anything is a loosening', () => {
    expect(requiredBump(compareSchemas({ properties: { a: true } }, { properties: { a: {} } }))).toBeNull();
    expect(requiredBump(compareSchemas({ properties: { a: false } }, { properties: { a: { type: 'string' } } }))).toBe('revision');
    expect(requiredBump(compareSchemas({ properties: { a: true } }, { properties: { a: { type: 'string' } } }))).toBe('model');
  });
});

describe('rejectsEveryObject: schemas no event can satisfy', () => {
  it.each([
    { schema: false, rejects: true },
    { schema: { type: 'string' }, rejects: true },
    { schema: { type: ['array', 'null'] }, rejects: true },
    { schema: { enum: [1, 'a'] }, rejects: true },
    { schema: { const: 'x' }, rejects: true },
    { schema: { not: {} }, rejects: true },
    { schema: true, rejects: false },
    { schema: {}, rejects: false },
    { schema: { type: 'object' }, rejects: false },
    { schema: { type: ['object', 'null'] }, rejects: false },
    { schema: { enum: [{ a: 1 }] }, rejects: false },
    { schema: { required: ['a'] }, rejects: false },
  ])('$schema → $rejects', ({ schema, rejects }) => {
    expect(rejectsEveryObject(schema as JsonSchema) !== null).toBe(rejects);
  });
});
