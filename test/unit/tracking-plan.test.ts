import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REJECTION_REASONS, VIOLATION_KINDS, type ViolationKind } from '../../contracts/envelope';
import { decodeMessage, type DecodeOutcome, type ProjectRules } from '../../rules/decode-message';
import { eventNameKey, probableDuplicates } from '../../rules/event-name-key';
import { buildRegistrySnapshot, EMPTY_REGISTRY, schemaTargetOf, type RegisteredSchema } from '../../rules/schema-snapshot';
import { compileSchema, type JsonSchema } from '../../rules/schema-validation';
import {
  checkAgainstRegistry,
  decidePlan,
  DEFAULT_TRACKING_PLAN,
  POLICY_FOR,
  unplannedKeys,
  type PlanViolation,
  type Policy,
  type TrackingPlanPolicy,
} from '../../rules/tracking-plan';

function entry(key: string, version: string, schema: JsonSchema): RegisteredSchema {
  const compiled = compileSchema(schema, schemaTargetOf(key));
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.errors));
  return { key, version, schema, validate: compiled.validate };
}

const orderV1 = { type: 'object', properties: { orderId: { type: 'string' }, total: { type: 'number' }, currency: { type: 'string' }, revenue: {} }, required: ['orderId'] };
const orderV2 = { ...orderV1, required: ['orderId', 'total'] };
const registry = buildRegistrySnapshot([
  entry('Order Completed', '1-0-0', orderV1),
  entry('Order Completed', '2-0-0', orderV2),
  entry('checkout_started', '1-0-0', {}),
  entry('$identify', '1-0-0', { properties: { email: { type: 'string', format: 'email' }, plan: { enum: ['free', 'pro'] } } }),
]);

const ALL: Record<Policy, TrackingPlanPolicy> = {
  allow: { unplannedEvents: 'allow', unplannedProperties: 'allow', namingViolations: 'allow', schemaViolations: 'allow' },
  flag: { unplannedEvents: 'flag', unplannedProperties: 'flag', namingViolations: 'flag', schemaViolations: 'flag' },
  block: { unplannedEvents: 'block', unplannedProperties: 'block', namingViolations: 'block', schemaViolations: 'block' },
};
/** Every policy `allow` except the one that decides `kind`. */
const only = (kind: ViolationKind, policy: Policy): TrackingPlanPolicy => ({ ...ALL.allow, [POLICY_FOR[kind]]: policy });

const RECEIVED = Date.UTC(2026, 0, 31, 12, 0, 0);
function decode(payload: Record<string, unknown>, rules: Partial<ProjectRules> = {}): DecodeOutcome {
  const project: ProjectRules = { projectId: 'acme', channels: ['web'], skewToleranceSeconds: 30, namingConvention: 'object_action_title', registry, ...rules };
  return decodeMessage(
    { subject: 'braid.raw.acme.web', data: new TextEncoder().encode(JSON.stringify({ timestamp: '2026-01-31T11:59:00Z', ...payload })), receivedAtMs: RECEIVED, source: { stream: 'BRAID_RAW', sequence: 1, subject: 'braid.raw.acme.web' } },
    (id) => (id === 'acme' ? project : undefined),
  );
}
const track = (event: string, properties: Record<string, unknown>, context: Record<string, unknown> = {}) => ({ type: 'track', messageId: 'm-1', anonymousId: 'a-1', event, properties, context });

/** One event per kind that breaks that rule and no other. */
const OFFENDERS: Record<ViolationKind, { payload: Record<string, unknown>; flag: string }> = {
  unplanned_event: { payload: track('Cart Viewed', {}), flag: 'unplanned_event' },
  naming_violation: { payload: track('checkout_started', {}), flag: 'naming_violation:object_action_title' },
  unknown_schema_version: { payload: track('Order Completed', { orderId: 'o-1', total: 1 }, { schemaVersion: '9-0-0' }), flag: 'unknown_schema_version:9-0-0' },
  schema_violation: { payload: track('Order Completed', { orderId: 42, total: 1 }), flag: 'schema_violation:properties.orderId' },
  unplanned_property: { payload: track('Order Completed', { orderId: 'o-1', total: 1, gift: true }), flag: 'unplanned_property:gift' },
  invalid_currency: { payload: track('Order Completed', { orderId: 'o-1', total: 1, currency: 'EURO' }), flag: 'invalid_currency:EURO' },
  invalid_amount: { payload: track('Order Completed', { orderId: 'o-1', total: 1, currency: 'EUR', revenue: '12.50' }), flag: 'invalid_amount:revenue' },
};

describe('tracking-plan policy in the decode step: each kind × allow | flag | block', () => {
  const cases = VIOLATION_KINDS.flatMap((kind) => (['allow', 'flag', 'block'] as const).map((policy) => ({ kind, policy })));
  it.each(cases)('$kind under $policy', ({ kind, policy }) => {
    const { payload, flag } = OFFENDERS[kind];
    const outcome = decode(payload, { trackingPlan: only(kind, policy) });
    if (policy === 'block') {
      if (outcome.kind !== 'rejected') throw new Error(`expected a rejection, got ${JSON.stringify(outcome.event.flags)}`);
      expect(outcome.rejection.reason).toBe(kind);
      expect(outcome.rejection.details).toMatchObject({ violations: [expect.objectContaining({ rule: kind, policy: 'block' })], eventTime: '2026-01-31T11:59:00.000Z' });
      return;
    }
    if (outcome.kind !== 'accepted') throw new Error(`expected an accepted event, got ${outcome.rejection.reason}`);
    const ours = outcome.event.flags.filter((f) => VIOLATION_KINDS.some((k) => f.startsWith(k)));
    if (policy === 'flag') {
      expect(ours).toEqual([flag]);
      expect(outcome.violations).toEqual([expect.objectContaining({ kind })]);
    } else {
      expect(ours).toEqual([]);
      expect(outcome.violations).toBeUndefined();
    }
  });

  it('the offender events are clean when nothing is wrong with them', () => {
    const clean = decode(track('Order Completed', { orderId: 'o-1', total: 1, currency: 'eur', revenue: 12.5 }), { trackingPlan: ALL.block });
    expect(clean.kind).toBe('accepted');
  });

  it('every kind is a stable rejection reason', () => {
    for (const kind of VIOLATION_KINDS) expect(REJECTION_REASONS).toContain(kind);
  });

  it('without a tracking plan setting every kind is flagged (the default)', () => {
    expect(DEFAULT_TRACKING_PLAN).toEqual(ALL.flag);
    const outcome = decode(OFFENDERS.schema_violation.payload);
    expect(outcome.kind === 'accepted' && outcome.event.flags).toEqual(['schema_violation:properties.orderId']);
  });

  it('a blocked event gets the first blocking kind as reason and lists the flagged ones too', () => {
    const payload = track('Order Completed', { orderId: 42, gift: true, currency: 'xx' });
    const outcome = decode(payload, { trackingPlan: { ...ALL.flag, unplannedProperties: 'block', schemaViolations: 'block' } });
    if (outcome.kind !== 'rejected') throw new Error('expected a rejection');
    expect(outcome.rejection.reason).toBe('schema_violation');
    const rules = (outcome.rejection.details.violations as { rule: string; policy: string }[]).map((v) => `${v.rule}/${v.policy}`);
    expect(rules).toEqual(['schema_violation/block', 'schema_violation/block', 'unplanned_property/block', 'invalid_currency/block']);
  });

  it('transforms record currency and tracking_plan only when they applied', () => {
    const planned = decode(track('Order Completed', { orderId: 'o', currency: 'usd', total: 2 }));
    expect(planned.kind === 'accepted' && planned.event.transforms.map((t) => t.step)).toEqual(['validate', 'event_time', 'naming', 'currency', 'tracking_plan']);
    expect(planned.kind === 'accepted' && planned.event.properties).toEqual({ orderId: 'o', currency: 'USD', total: 2 });
    const bare = decode(track('Order Completed', { orderId: 'o' }), { registry: EMPTY_REGISTRY });
    expect(bare.kind === 'accepted' && bare.event.transforms.map((t) => t.step)).toEqual(['validate', 'event_time', 'naming']);
  });

  it('an identify is checked against $identify traits', () => {
    const outcome = decode({ type: 'identify', messageId: 'i-1', userId: 'u-1', traits: { email: 'not-an-email', plan: 'gold', age: 3 } });
    expect(outcome.kind === 'accepted' && outcome.event.flags).toEqual(['schema_violation:traits.email', 'schema_violation:traits.plan', 'unplanned_property:age']);
  });
});

describe('checkAgainstRegistry', () => {
  const input = (fields: Record<string, unknown>) => ({ type: 'track' as const, properties: {}, traits: {}, context: {}, ...fields });
  const kinds = (v: PlanViolation[]) => v.map((x) => `${x.kind}@${x.path}`);

  it.each([
    { label: 'a planned event that fits', fields: { event: 'Order Completed', properties: { orderId: 'o', total: 1 } }, expected: [] },
    { label: 'the current version applies (2-0-0 requires total)', fields: { event: 'Order Completed', properties: { orderId: 'o' } }, expected: ['schema_violation@properties.total'] },
    { label: 'a pinned older version applies', fields: { event: 'Order Completed', properties: { orderId: 'o' }, context: { schemaVersion: '1-0-0' } }, expected: [] },
    { label: 'an unknown pinned version falls back to the current', fields: { event: 'Order Completed', properties: { orderId: 'o' }, context: { schemaVersion: '1-5-0' } }, expected: ['unknown_schema_version@context.schemaVersion', 'schema_violation@properties.total'] },
    { label: 'a pinned version that is not a version', fields: { event: 'Order Completed', properties: { orderId: 'o', total: 1 }, context: { schemaVersion: 2 } }, expected: ['unknown_schema_version@context.schemaVersion'] },
    { label: 'a pinned version of an unplanned event', fields: { event: 'Cart Viewed', context: { schemaVersion: '1-0-0' } }, expected: ['unplanned_event@event', 'unknown_schema_version@context.schemaVersion'] },
    { label: 'every error, not just the first', fields: { event: 'Order Completed', properties: { orderId: 1, total: 'x' } }, expected: ['schema_violation@properties.orderId', 'schema_violation@properties.total'] },
    { label: 'page events have no schema', fields: { type: 'page', name: 'Home', properties: { anything: 1 } }, expected: [] },
    { label: 'alias events have no schema', fields: { type: 'alias' }, expected: [] },
  ])('$label', ({ fields, expected }) => {
    expect(kinds(checkAgainstRegistry(input(fields), registry).violations)).toEqual(expected);
  });

  it('suggests the planned spelling of an unplanned event name', () => {
    const [v] = checkAgainstRegistry(input({ event: 'order_completed' }), registry).violations;
    expect(v?.message).toContain('did you mean "Order Completed"?');
  });

  it('without any track schema, no track event is unplanned', () => {
    const identifyOnly = buildRegistrySnapshot([entry('$identify', '1-0-0', {})]);
    expect(checkAgainstRegistry(input({ event: 'Anything Happened' }), identifyOnly).violations).toEqual([]);
    expect(checkAgainstRegistry(input({ event: 'Anything Happened' }), EMPTY_REGISTRY).violations).toEqual([]);
  });

  it('reports at most 20 violations of a kind', () => {
    const many = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`p${i}`, i]));
    const { violations } = checkAgainstRegistry(input({ event: 'Order Completed', properties: { orderId: 'o', total: 1, ...many } }), registry);
    expect(violations.filter((v) => v.kind === 'unplanned_property')).toHaveLength(20);
  });

  it('an undeclared property under additionalProperties:false is unplanned, not a schema violation', () => {
    const closed = buildRegistrySnapshot([entry('Signed Up', '1-0-0', { properties: { plan: { type: 'string' } }, additionalProperties: false })]);
    expect(kinds(checkAgainstRegistry(input({ event: 'Signed Up', properties: { plan: 'pro', extra: 1 } }), closed).violations)).toEqual(['unplanned_property@properties.extra']);
  });
});

describe('unplannedKeys', () => {
  it.each([
    { label: 'declared properties', schema: { properties: { a: {} } }, value: { a: 1, b: 2 }, expected: ['b'] },
    { label: 'a schema that says nothing about properties', schema: {}, value: { a: 1 }, expected: [] },
    { label: 'type object only', schema: { type: 'object' }, value: { a: 1 }, expected: [] },
    { label: 'additionalProperties true', schema: { properties: { a: {} }, additionalProperties: true }, value: { b: 1 }, expected: [] },
    { label: 'additionalProperties as a schema', schema: { properties: {}, additionalProperties: { type: 'string' } }, value: { b: 1 }, expected: [] },
    { label: 'additionalProperties false', schema: { additionalProperties: false }, value: { b: 1 }, expected: ['b'] },
    { label: 'patternProperties', schema: { patternProperties: { '^x_': {} } }, value: { x_1: 1, y: 2 }, expected: ['y'] },
    { label: 'a boolean schema', schema: true, value: { a: 1 }, expected: [] },
    { label: '__proto__ as a property name', schema: { properties: { a: {} } }, value: JSON.parse('{"__proto__": 1}'), expected: ['__proto__'] },
  ])('$label', ({ schema, value, expected }) => {
    expect(unplannedKeys(schema, value)).toEqual(expected);
  });
});

describe('decidePlan', () => {
  const v = (kind: ViolationKind, detail?: string): PlanViolation => ({ kind, path: 'x', message: kind, ...(detail ? { detail } : {}) });

  it.each([
    { label: 'nothing wrong', violations: [], policy: ALL.block, expected: { kind: 'write', flags: [], recorded: [] } },
    { label: 'all allowed', violations: [v('schema_violation', 'a'), v('unplanned_event')], policy: ALL.allow, expected: { kind: 'write', flags: [], recorded: [] } },
    { label: 'flags dedupe', violations: [v('schema_violation', 'a'), v('schema_violation', 'a')], policy: ALL.flag, expected: { kind: 'write', flags: ['schema_violation:a'] } },
    { label: 'a flag without detail', violations: [v('unplanned_event')], policy: ALL.flag, expected: { kind: 'write', flags: ['unplanned_event'] } },
    { label: 'block wins over flag', violations: [v('unplanned_property', 'p'), v('naming_violation', 'n')], policy: { ...ALL.flag, namingViolations: 'block' }, expected: { kind: 'block', reason: 'naming_violation' } },
    { label: 'the reason is the first blocking kind in order', violations: [v('invalid_amount'), v('unplanned_event'), v('schema_violation')], policy: ALL.block, expected: { kind: 'block', reason: 'unplanned_event' } },
    { label: 'allowed kinds are left out of a block', violations: [v('schema_violation'), v('unplanned_property')], policy: { ...ALL.allow, schemaViolations: 'block' }, expected: { kind: 'block', reason: 'schema_violation', recorded: [] } },
  ])('$label', ({ violations, policy, expected }) => {
    expect(decidePlan(violations, policy as TrackingPlanPolicy)).toMatchObject(expected);
  });

  it('long details are cut in the flag', () => {
    const decision = decidePlan([v('schema_violation', 'x'.repeat(500))], ALL.flag);
    expect(decision.kind === 'write' && decision.flags[0]).toBe(`schema_violation:${'x'.repeat(80)}`);
  });
});

describe('event name keys: names that differ only in case or separators', () => {
  it.each([
    { a: 'Order Completed', b: 'order_completed', same: true },
    { a: 'Order Completed', b: 'OrderCompleted', same: true },
    { a: 'Order Completed', b: 'order-completed', same: true },
    { a: 'Order Completed', b: 'ORDER.COMPLETED', same: true },
    { a: 'Order Completed', b: 'order  completed', same: true },
    { a: 'Order Completed', b: 'orders_completed', same: false },
    { a: 'Order Completed', b: 'Order Complete', same: false },
    { a: 'checkout:step/1', b: 'Checkout Step 1', same: true },
  ])('"$a" vs "$b" → $same', ({ a, b, same }) => {
    expect(eventNameKey(a) === eventNameKey(b)).toBe(same);
  });

  it('lists the probable duplicates of a name, not the name itself', () => {
    expect(probableDuplicates('order_completed', ['Order Completed', 'order_completed', 'OrderCompleted', 'Cart Viewed'])).toEqual(['Order Completed', 'OrderCompleted']);
  });
});

describe('violation kinds have one home', () => {
  it('analytics.data_quality counts exactly the kinds of contracts/envelope.ts (its rollup trigger decides what is blocked)', () => {
    const sql = readFileSync(join(__dirname, '..', '..', 'db', 'migrations', '0019_rollup_triggers.sql'), 'utf8');
    const list = /r\.reason IN \(([^)]*)\)/.exec(sql)?.[1] ?? '';
    expect(list.split(',').map((s) => s.trim().replace(/^'|'$/g, ''))).toEqual([...VIOLATION_KINDS]);
  });

  it('every kind is a rejection reason', () => {
    for (const kind of VIOLATION_KINDS) expect(REJECTION_REASONS).toContain(kind);
  });
});
