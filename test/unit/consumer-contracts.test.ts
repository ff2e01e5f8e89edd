import { describe, expect, it } from 'vitest';
import { breaksOfChange, contractBreaks, servesType, type ConsumerContract } from '../../rules/consumer-contracts';
import type { JsonSchema } from '../../rules/schema-validation';

describe('servesType', () => {
  it.each([
    [{ type: 'string' }, 'string', true],
    [{ type: ['string', 'null'] }, 'string', true],
    [{ type: 'integer' }, 'number', true],
    [{ type: 'number' }, 'integer', false],
    [{ type: ['number', 'string'] }, 'number', false],
    [{ type: 'null' }, 'string', false],
    [{}, 'string', false],
    [true, 'string', false],
    [false, 'string', false],
    [{ type: 'object', properties: {} }, 'object', true],
    [{ type: 'array' }, 'array', true],
    [{ type: 'boolean' }, 'string', false],
    [{ type: 42 }, 'string', false],
    [null, 'string', false],
  ])('%j as %s → %s', (node, wanted, expected) => {
    expect(servesType(node, wanted as never)).toBe(expected);
  });
});

const orders: ConsumerContract = {
  consumer: 'revenue-dashboard',
  reads: [{ event: 'Order Completed', properties: { revenue: 'number', currency: 'string' } }],
};
const schema = (properties: Record<string, unknown>): JsonSchema => ({ type: 'object', properties }) as JsonSchema;
const registry = (s: JsonSchema) => new Map([['Order Completed', s]]);

describe('contractBreaks', () => {
  it.each([
    ['served', registry(schema({ revenue: { type: 'number' }, currency: { type: 'string' }, extra: {} })), []],
    ['integer revenue still reads as a number', registry(schema({ revenue: { type: 'integer' }, currency: { type: 'string' } })), []],
    ['no schema for the event', new Map<string, JsonSchema>(), ['event_not_in_registry']],
    ['a property not declared', registry(schema({ revenue: { type: 'number' } })), ['property_not_declared']],
    ['a type changed', registry(schema({ revenue: { type: 'string' }, currency: { type: 'string' } })), ['property_type_changed']],
    ['both broken', registry(schema({ revenue: { type: ['number', 'string'] } })), ['property_type_changed', 'property_not_declared']],
    ['a schema that is just true', registry(true as JsonSchema), ['property_not_declared', 'property_not_declared']],
  ])('%s', (_label, schemas, reasons) => {
    expect(contractBreaks(orders, schemas).map((b) => b.reason)).toEqual(reasons);
  });

  it('names the consumer, event and property, and says why', () => {
    const [b] = contractBreaks(orders, registry(schema({ revenue: { type: 'string' }, currency: { type: 'string' } })));
    expect(b).toEqual({
      consumer: 'revenue-dashboard',
      event: 'Order Completed',
      property: 'revenue',
      reason: 'property_type_changed',
      message: '"Order Completed".revenue is string, not readable as number',
    });
  });

  it('reads nothing from an empty contract', () => {
    expect(contractBreaks({ consumer: 'x', reads: [] }, new Map())).toEqual([]);
    expect(contractBreaks({ consumer: 'x', reads: [{ event: 'Order Completed', properties: {} }] }, registry(schema({})))).toEqual([]);
  });
});

describe('breaksOfChange', () => {
  const current = registry(schema({ revenue: { type: 'number' }, currency: { type: 'string' } }));
  const other: ConsumerContract = { consumer: 'signup-funnel', reads: [{ event: 'Signed Up', properties: { plan: 'string' } }] };

  it('names the consumers a removed property breaks', () => {
    const out = breaksOfChange([orders, other], current, 'Order Completed', schema({ revenue: { type: 'number' } }));
    expect(out.map((b) => [b.consumer, b.property, b.reason])).toEqual([['revenue-dashboard', 'currency', 'property_not_declared']]);
  });
  it('is empty for a compatible change, and for an event nobody reads', () => {
    expect(breaksOfChange([orders], current, 'Order Completed', schema({ revenue: { type: 'number' }, currency: { type: 'string' }, coupon: { type: 'string' } }))).toEqual([]);
    expect(breaksOfChange([orders], current, 'Page Viewed', schema({}))).toEqual([]);
  });
  it('does not blame a change for what was broken before it', () => {
    const broken = registry(schema({ revenue: { type: 'number' } }));
    expect(breaksOfChange([orders], broken, 'Order Completed', schema({ revenue: { type: 'number' }, note: { type: 'string' } }))).toEqual([]);
    expect(breaksOfChange([orders], broken, 'Order Completed', schema({ revenue: { type: 'string' } })).map((b) => b.reason)).toEqual(['property_type_changed']);
  });
  it('counts a first schema that leaves out what a consumer reads', () => {
    expect(breaksOfChange([other], new Map(), 'Signed Up', schema({})).map((b) => b.reason)).toEqual(['property_not_declared']);
  });
});
