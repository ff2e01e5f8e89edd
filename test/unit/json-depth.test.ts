import { describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH } from '../../contracts/envelope';
import { prepareEvents } from '../../rules/collector-request';
import { decodeMessage } from '../../rules/decode-message';
import { nestsDeeperThan } from '../../rules/json-depth';

const nestedArrays = (depth: number) => JSON.parse(`${'['.repeat(depth)}${']'.repeat(depth)}`);
const nestedObjects = (depth: number) => JSON.parse(`${'{"a":'.repeat(depth - 1)}{}${'}'.repeat(depth - 1)}`);

describe('JSON nesting depth', () => {
  it.each<[string, unknown, number, boolean]>([
    ['a scalar', 'x', 0, false],
    ['null', null, 0, false],
    ['an empty object at limit 1', {}, 1, false],
    ['an empty object at limit 0', {}, 0, true],
    ['[[]] at limit 1', [[]], 1, true],
    ['[[]] at limit 2', [[]], 2, false],
    ['arrays exactly at the limit', nestedArrays(MAX_JSON_DEPTH), MAX_JSON_DEPTH, false],
    ['arrays one past the limit', nestedArrays(MAX_JSON_DEPTH + 1), MAX_JSON_DEPTH, true],
    ['objects one past the limit', nestedObjects(MAX_JSON_DEPTH + 1), MAX_JSON_DEPTH, true],
    ['100,000 levels (no stack overflow)', nestedArrays(100_000), MAX_JSON_DEPTH, true],
    ['wide but shallow', { a: Array.from({ length: 10_000 }, (_, i) => ({ i })) }, 3, false],
    ['a deep branch beside shallow ones', { a: 1, b: [1, 2], c: nestedArrays(10) }, 10, true],
    ['a __proto__ key holding depth', JSON.parse('{"__proto__":[[[[]]]]}'), 4, true],
  ])('%s', (_name, value, limit, deeper) => {
    expect(nestsDeeperThan(value, limit)).toBe(deeper);
  });

  const text = (depth: number) => `{"type":"track","event":"Deep","anonymousId":"a","messageId":"m1","properties":{"x":${"[".repeat(depth)}${"]".repeat(depth)}}}`;
  const decode = (depth: number) =>
    decodeMessage({ subject: 'braid.raw.acme.web', data: new TextEncoder().encode(text(depth)), receivedAtMs: Date.UTC(2026, 0, 1), source: { stream: 'BRAID_RAW', sequence: 1, subject: 'braid.raw.acme.web' } }, () => ({
      projectId: 'acme',
      channels: ['web'],
      skewToleranceSeconds: 30,
      namingConvention: 'any',
    }));

  it('ingest accepts an event at the limit and rejects one past it (even 10,000 levels, within the size limit) as too_deeply_nested, naming the limit', () => {
    expect(decode(MAX_JSON_DEPTH - 2).kind).toBe('accepted');
    for (const depth of [MAX_JSON_DEPTH - 1, 10_000]) {
      const out = decode(depth);
      expect(out.kind).toBe('rejected');
      if (out.kind === 'rejected') expect(out.rejection).toMatchObject({ reason: 'too_deeply_nested', details: { limit: MAX_JSON_DEPTH } });
    }
  });

  it('the collector rejects such an event alone, with the reason and the limit', () => {
    const body = JSON.parse(`{"batch":[{"type":"track","event":"Ok","anonymousId":"a"},${text(100_000)}]}`);
    const prepared = prepareEvents('batch', body, () => 'generated');
    expect(prepared.kind).toBe('events');
    if (prepared.kind !== 'events') return;
    expect(prepared.ready).toHaveLength(1);
    expect(prepared.rejected).toEqual([expect.objectContaining({ index: 1, reason: 'too_deeply_nested', message: `objects and arrays nest at most ${MAX_JSON_DEPTH} levels deep` })]);
  });
});
