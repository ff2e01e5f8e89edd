import { describe, expect, it } from 'vitest';
import { buildRegistrySnapshot, EMPTY_REGISTRY, registryKeyOf, schemaTargetOf } from '../../rules/schema-snapshot';
import { compileSchema, SchemaCompiler, type JsonSchema } from '../../rules/schema-validation';

function validator(schema: JsonSchema, root = 'properties') {
  const c = compileSchema(schema, root);
  if (!c.ok) throw new Error(JSON.stringify(c.errors));
  return c.validate;
}

describe('compileSchema and validation errors', () => {
  const order = validator({
    type: 'object',
    properties: {
      total: { type: 'number' },
      placedAt: { type: 'string', format: 'date-time' },
      items: { type: 'array', items: { type: 'object', properties: { sku: { type: 'string' } }, required: ['sku'] } },
      'a/b': { type: 'integer' },
    },
    required: ['total'],
  });

  it.each([
    { label: 'a valid event', value: { total: 1, placedAt: '2026-01-31T12:00:00Z', items: [{ sku: 'A' }] }, errors: [] },
    { label: 'a missing required property', value: {}, errors: ['properties.total required is required'] },
    { label: 'a wrong type', value: { total: '1' }, errors: ['properties.total type must be number'] },
    { label: 'a bad format', value: { total: 1, placedAt: 'yesterday' }, errors: ['properties.placedAt format must match format "date-time"'] },
    { label: 'nested array items', value: { total: 1, items: [{ sku: 'A' }, {}, { sku: 3 }] }, errors: ['properties.items[1].sku required is required', 'properties.items[2].sku type must be string'] },
    { label: 'a property name with a slash', value: { total: 1, 'a/b': 1.5 }, errors: ['properties.a/b type must be integer'] },
    { label: 'no coercion: "1" is not a number', value: { total: '1' }, errors: ['properties.total type must be number'] },
  ])('$label', ({ value, errors }) => {
    expect(order(value).map((e) => `${e.path} ${e.keyword} ${e.message}`)).toEqual(errors);
  });

  it('names traits paths for traits schemas', () => {
    expect(validator({ properties: { email: { format: 'email' } } }, 'traits')({ email: 'x' }).map((e) => e.path)).toEqual(['traits.email']);
  });

  it('validating never changes the value (no defaults filled in)', () => {
    const validate = validator({ properties: { plan: { type: 'string', default: 'free' } } });
    const value = {};
    expect(validate(value)).toEqual([]);
    expect(value).toEqual({});
  });

  it('accepts schemas that declare $id, twice (ids do not collide across projects)', () => {
    expect(compileSchema({ $id: 'https://example.com/order.json', type: 'object' }).ok).toBe(true);
    expect(compileSchema({ $id: 'https://example.com/order.json', type: 'object', required: ['a'] }).ok).toBe(true);
  });

  it('compiles each distinct schema once in a SchemaCompiler, and evicts the oldest past capacity', () => {
    const compiler = new SchemaCompiler(2);
    const a = compiler.compile({ type: 'object' });
    expect(compiler.compile({ type: 'object' })).toBe(a);
    compiler.compile({ required: ['b'] });
    compiler.compile({ required: ['c'] });
    expect(compiler.compile({ type: 'object' })).not.toBe(a);
  });
});

describe('registry snapshots', () => {
  const entry = (key: string, version: string) => ({ key, version, schema: {}, validate: () => [] });

  it('the current version is the highest, in version order (not text order)', () => {
    const snap = buildRegistrySnapshot([entry('A', '1-9-0'), entry('A', '1-10-0'), entry('A', '1-2-3'), entry('B', '2-0-0')]);
    expect(snap.current('A')?.version).toBe('1-10-0');
    expect(snap.find('A', '1-2-3')?.version).toBe('1-2-3');
    expect(snap.find('A', '9-9-9')).toBeUndefined();
    expect(snap.keys()).toEqual(['A', 'B']);
    expect(snap.hasTrackPlan).toBe(true);
  });

  it('the empty registry plans nothing', () => {
    expect(buildRegistrySnapshot([])).toBe(EMPTY_REGISTRY);
    expect(EMPTY_REGISTRY.hasTrackPlan).toBe(false);
  });

  it.each([
    { event: { type: 'track' as const, event: 'Order Completed' }, key: 'Order Completed', target: 'properties' },
    { event: { type: 'identify' as const }, key: '$identify', target: 'traits' },
    { event: { type: 'group' as const }, key: '$group', target: 'traits' },
    { event: { type: 'page' as const }, key: null, target: null },
    { event: { type: 'screen' as const }, key: null, target: null },
    { event: { type: 'alias' as const }, key: null, target: null },
  ])('$event.type → $key', ({ event, key, target }) => {
    expect(registryKeyOf(event)).toBe(key);
    if (key) expect(schemaTargetOf(key)).toBe(target);
  });
});
