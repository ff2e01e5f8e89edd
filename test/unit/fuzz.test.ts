import { deflateSync, gunzipSync, gzipSync, inflateSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_EVENT_BYTES, REJECTION_REASONS, VIOLATION_KINDS } from '../../contracts/envelope';
import { normalizeContentEncoding, parseRequestBody, prepareEvents } from '../../rules/collector-request';
import { decodeMessage, type ProjectRules } from '../../rules/decode-message';
import { components, decideLink, proposedLinks, refKey, type IdentityRef } from '../../rules/identity-graph';
import { buildRegistrySnapshot, schemaTargetOf, type RegisteredSchema } from '../../rules/schema-snapshot';
import { compileSchema, type JsonSchema } from '../../rules/schema-validation';
import { checkAgainstRegistry, decidePlan } from '../../rules/tracking-plan';

/**
 * Generated inputs against the pure rules braid runs on untrusted data: at
 * least 100,000 each, with deep nesting, huge numbers, invalid UTF-8,
 * `__proto__`/`constructor` keys and sizes at the 32 KiB and 500 KB edges. The
 * property: no crash, and every rejection carries one of the contract's reasons.
 */
// `npm run fuzz` runs 100,000 inputs per rule; the default test run 10,000 (same seed, so the first 10,000 are the same inputs).
const RUNS = Number(process.env.BRAID_FUZZ_RUNS ?? 10_000);
const SEED = Number(process.env.BRAID_FUZZ_SEED ?? 20261206);
const params = { numRuns: RUNS, seed: SEED, endOnFailure: true };

const reasons = new Set<string>(REJECTION_REASONS);
const encoder = new TextEncoder();

function entry(key: string, version: string, schema: JsonSchema): RegisteredSchema {
  const compiled = compileSchema(schema, schemaTargetOf(key));
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.errors));
  return { key, version, schema, validate: compiled.validate };
}
const registry = buildRegistrySnapshot([
  entry('Order Completed', '1-0-0', { type: 'object', properties: { orderId: { type: 'string' }, total: { type: 'number' } }, required: ['orderId'] }),
  entry('Order Completed', '2-0-0', { type: 'object', properties: { orderId: { type: 'string' } }, additionalProperties: false }),
  entry('$identify', '1-0-0', { properties: { email: { type: 'string', format: 'email' } } }),
]);
const PROJECTS: Record<string, ProjectRules> = {
  acme: { projectId: 'acme', channels: ['web', 'mobile', 'backend'], skewToleranceSeconds: 30, namingConvention: 'object_action_title', registry },
  open: { projectId: 'open', channels: ['web'], skewToleranceSeconds: 86_400, namingConvention: 'any' },
};
const lookup = (id: string) => PROJECTS[id];

/** Keys that break naive code: prototype names, envelope fields, empties and odd characters. */
const nastyKey = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '', ' ', '\u0000', '$', 'a.b', 'messageId', 'type', 'event', 'userId', 'anonymousId', 'timestamp', 'properties', 'traits', 'context', 'consent', 'sessionId', 'schemaVersion', 'currency', 'revenue', 'email'),
  fc.string({ maxLength: 12 }),
);
const scalar = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'grapheme', maxLength: 10 }),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(Number.MAX_SAFE_INTEGER, -0, 1e308, 5e-324, 'null', 'undefined', 'NaN', '', ' ', '2026-13-45T99:99:99Z', '1970-01-01T00:00:00Z', '9999-12-31T23:59:59.999Z'),
  fc.boolean(),
  fc.constant(null),
);
const { value: nested } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(nastyKey, tie('value'), { maxKeys: 5 }),
  ),
}));
/** Something shaped like an event often enough to reach the deeper rules. */
const eventish = fc.record(
  {
    type: fc.oneof(fc.constantFrom('track', 'identify', 'page', 'screen', 'group', 'alias'), scalar),
    messageId: fc.oneof(fc.uuid(), scalar),
    event: fc.oneof(fc.constantFrom('Order Completed', 'order_completed', 'Signed Up'), scalar),
    name: scalar,
    userId: fc.oneof(fc.string({ minLength: 1, maxLength: 20 }), scalar),
    anonymousId: fc.oneof(fc.string({ minLength: 1, maxLength: 20 }), scalar),
    previousId: fc.oneof(fc.string({ minLength: 1, maxLength: 20 }), scalar),
    timestamp: fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), scalar),
    properties: nested,
    traits: nested,
    context: fc.oneof(nested, fc.record({ schemaVersion: scalar, consent: nested, sessionId: scalar }, { requiredKeys: [] })),
  },
  { requiredKeys: [] },
);
/** JSON text with numbers no double holds, a deep array, or a raw `__proto__` key JSON.parse keeps as data. */
const trickyText = fc.oneof(
  eventish.map((e) => JSON.stringify(e).replace(/^\{/, '{"big":1e999999,"neg":-1e-999999,"int":123456789012345678901234567890,')),
  fc.integer({ min: 1, max: 5_000 }).map((depth) => `{"type":"track","event":"Deep","anonymousId":"a","properties":${'['.repeat(depth)}${']'.repeat(depth)}}`),
  eventish.map((e) => JSON.stringify(e).replace(/^\{/, '{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},')),
);
/** Sizes at the per-event limit: the padding makes the encoded event MAX_EVENT_BYTES - 1, exactly, or + 1 bytes. */
const edgeSized = fc.tuple(fc.integer({ min: -1, max: 1 }), fc.uuid()).map(([delta, id]) => {
  const base = { type: 'track', event: 'Big', anonymousId: 'a', messageId: id, properties: { pad: '' } };
  const pad = MAX_EVENT_BYTES + delta - encoder.encode(JSON.stringify(base)).byteLength;
  return encoder.encode(JSON.stringify({ ...base, properties: { pad: 'x'.repeat(Math.max(0, pad)) } }));
});
const payloadBytes = fc.oneof(
  { weight: 4, arbitrary: eventish.map((e) => encoder.encode(JSON.stringify(e))) },
  { weight: 2, arbitrary: nested.map((v) => encoder.encode(JSON.stringify(v) ?? 'undefined')) },
  { weight: 2, arbitrary: trickyText.map((t) => encoder.encode(t)) },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 300 }) }, // arbitrary bytes: invalid UTF-8 and binary
  { weight: 1, arbitrary: edgeSized },
);
const subject = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('braid.raw.acme.web', 'braid.raw.acme.mobile', 'braid.raw.open.web', 'braid.raw.acme.tv') },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.constantFrom('', 'braid.raw', 'braid.raw.nobody.web', 'braid.raw.acme.web.extra', 'braid.raw..web') },
);

function expectNoPollution(): void {
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined();
}

describe(`fuzzing the rules that read untrusted input (${RUNS.toLocaleString('en-US')} inputs each, seed ${SEED})`, () => {
  it('the envelope decoder: no crash; accepted events are whole, rejections have a contract reason and serialize', () => {
    let rejected = 0;
    fc.assert(
      fc.property(subject, payloadBytes, fc.integer({ min: 0, max: 4_102_444_800_000 }), (subj, data, receivedAtMs) => {
        const out = decodeMessage({ subject: subj, data, receivedAtMs, source: { stream: 'BRAID_RAW', sequence: 1, subject: subj } }, lookup);
        if (out.kind === 'rejected') {
          rejected += 1;
          expect(reasons.has(out.rejection.reason)).toBe(true);
          expect(typeof out.rejection.details).toBe('object');
          JSON.stringify(out.rejection);
        } else {
          expect(out.kind).toBe('accepted');
          expect(typeof out.event.messageId).toBe('string');
          expect(out.event.messageId.length).toBeGreaterThan(0);
          expect(Number.isNaN(Date.parse(out.event.eventTime))).toBe(false);
          expect(encoder.encode(JSON.stringify(out.event)).byteLength).toBeGreaterThan(0);
        }
      }),
      params,
    );
    expectNoPollution();
    // The generators reach both outcomes (a fuzz that only ever rejects proves little).
    expect(rejected).toBeGreaterThan(RUNS / 10);
    expect(rejected).toBeLessThan(RUNS);
  });

  it('the collector request path: gzip and deflate bodies, batch shapes; no crash, every rejected event has a contract reason', () => {
    const body = fc.oneof(
      { weight: 3, arbitrary: fc.record({ batch: fc.array(fc.oneof(eventish, nested), { maxLength: 6 }), context: nested, sentAt: scalar }, { requiredKeys: ['batch'] }) },
      { weight: 2, arbitrary: eventish },
      { weight: 1, arbitrary: nested },
    );
    const wire = fc.oneof(
      body.map((b) => ({ encoding: 'identity', bytes: encoder.encode(JSON.stringify(b) ?? '') })),
      body.map((b) => ({ encoding: 'gzip', bytes: gzipSync(JSON.stringify(b) ?? '') })),
      body.map((b) => ({ encoding: 'deflate', bytes: deflateSync(JSON.stringify(b) ?? '') })),
      fc.uint8Array({ maxLength: 200 }).map((bytes) => ({ encoding: 'gzip', bytes })), // not gzip at all
      trickyText.map((t) => ({ encoding: 'identity', bytes: encoder.encode(t) })),
    );
    fc.assert(
      fc.property(wire, fc.constantFrom('batch', 'track', 'identify', 'page', 'screen', 'group', 'alias') as fc.Arbitrary<Parameters<typeof prepareEvents>[0]>, fc.constantFrom('gzip', 'GZIP', 'x-gzip', 'deflate', 'identity', 'br', '', ' gzip ', undefined), ({ encoding, bytes }, route, header) => {
        normalizeContentEncoding(header);
        let raw: Uint8Array;
        try {
          raw = encoding === 'gzip' ? gunzipSync(bytes) : encoding === 'deflate' ? inflateSync(bytes) : bytes;
        } catch {
          return; // the HTTP layer answers 400 for a body that is not valid in its encoding
        }
        const parsed = parseRequestBody(raw);
        if (parsed.kind !== 'json') {
          expect(['invalid_request', 'invalid_batch', 'invalid_json', 'invalid_utf8']).toContain(parsed.code);
          return;
        }
        let n = 0;
        const prepared = prepareEvents(route, parsed.value, () => `generated-${(n += 1)}`);
        if (prepared.kind === 'invalid') {
          expect(prepared.message.length).toBeGreaterThan(0);
          return;
        }
        for (const r of prepared.rejected) expect(reasons.has(r.reason)).toBe(true);
        for (const e of prepared.ready) expect(e.data.byteLength).toBeLessThanOrEqual(MAX_EVENT_BYTES);
      }),
      params,
    );
    expectNoPollution();
  });

  it('the 500 KB request edge: a body at the limit parses, every event in it is decided', () => {
    fc.assert(
      fc.property(fc.integer({ min: 480, max: 520 }), fc.integer({ min: 1, max: 20 }), (kb, events) => {
        const pad = 'x'.repeat(Math.max(0, Math.floor((kb * 1024) / events) - 120));
        const batch = Array.from({ length: events }, (_, i) => ({ type: 'track', event: 'Big', anonymousId: `a${i}`, properties: { pad } }));
        const parsed = parseRequestBody(encoder.encode(JSON.stringify({ batch })));
        expect(parsed.kind).toBe('json');
        if (parsed.kind !== 'json') return;
        const prepared = prepareEvents('batch', parsed.value, () => 'id');
        if (prepared.kind === 'invalid') return;
        expect(prepared.ready.length + prepared.rejected.length).toBe(events);
        for (const r of prepared.rejected) expect(r.reason).toBe('payload_too_large');
      }),
      { numRuns: 300, seed: SEED },
    );
  });

  it('the tracking plan: any event against the registry, any policy; decisions name only known kinds', () => {
    const policy = fc.record({
      unplannedEvents: fc.constantFrom('allow', 'flag', 'block'),
      unplannedProperties: fc.constantFrom('allow', 'flag', 'block'),
      namingViolations: fc.constantFrom('allow', 'flag', 'block'),
      schemaViolations: fc.constantFrom('allow', 'flag', 'block'),
    });
    const asObject = (v: unknown) => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
    fc.assert(
      fc.property(eventish, policy, (e, p) => {
        const type = (['track', 'identify', 'page', 'screen', 'group', 'alias'] as const).find((t) => t === e.type) ?? 'track';
        const { violations } = checkAgainstRegistry(
          { type, event: typeof e.event === 'string' ? e.event : undefined, properties: asObject(e.properties), traits: asObject(e.traits), context: asObject(e.context) } as Parameters<typeof checkAgainstRegistry>[0],
          registry,
        );
        for (const v of violations) expect(VIOLATION_KINDS as readonly string[]).toContain(v.kind);
        const decision = decidePlan(violations, p);
        expect(decision).toBeDefined();
      }),
      params,
    );
    expectNoPollution();
  });

  it('the identity rules: links are decided for any ids, and components stay a partition', () => {
    const ref = fc.record({ kind: fc.constantFrom('user', 'anonymous') as fc.Arbitrary<'user' | 'anonymous'>, id: fc.oneof(fc.constantFrom('', ' ', 'null', 'undefined', '0', 'anonymous', '__proto__', 'constructor'), fc.string({ maxLength: 6 })) });
    fc.assert(
      fc.property(fc.array(ref, { maxLength: 8 }), fc.array(fc.tuple(ref, ref), { maxLength: 8 }), eventish, fc.boolean(), (ids, pairs, e, operator) => {
        const links = pairs.map(([a, b], i) => ({ linkId: `l${i}`, a, b }));
        const comp = components([...ids, ...pairs.flat()], links);
        const parts = new Set(comp.values());
        expect(parts.size).toBeLessThanOrEqual(comp.size);
        const componentOf = (r: IdentityRef) => comp.get(refKey(r));
        for (const [a, b] of pairs) {
          const d = decideLink(a, b, componentOf, () => false, operator);
          expect(['link', 'noop', 'refuse']).toContain(d.kind);
        }
        const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
        const proposed = proposedLinks({ type: String(e.type), userId: str(e.userId), anonymousId: str(e.anonymousId), previousId: str(e.previousId) }, () => false);
        for (const p of proposed) expect(['identify', 'alias', 'event_both_ids']).toContain(p.rule);
      }),
      params,
    );
    expectNoPollution();
  });
});
