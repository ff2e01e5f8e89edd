import { describe, expect, it } from 'vitest';
import { stableId } from '../../rules/stable-id';

describe('stableId', () => {
  describe('pinned values (ids are stored; they must never change between versions)', () => {
    // 64-bit FNV-1a over UTF-16 code units of `${part.length}:${part}`, computed independently.
    it.each([
      { prefix: 'x', parts: [] as string[], expected: 'x_cbf29ce484222325' },
      { prefix: 'x', parts: [''], expected: 'x_07fc0e07b4bd112f' },
      { prefix: 'x', parts: ['a'], expected: 'x_45540418180aba49' },
      { prefix: 's', parts: ['ab', 'c'], expected: 's_3258ba264f69a13e' },
      { prefix: 's', parts: ['a', 'bc'], expected: 's_55669b0488b5662e' },
      { prefix: 's', parts: ['acme', 'web', 'a:anon-1', 'time', '0'], expected: 's_b2dbe61c6f262175' },
      { prefix: 'e', parts: ['😀'], expected: 'e_171ebe0da9312ce0' },
      { prefix: 'e', parts: ['é'], expected: 'e_45548c18180ba161' },
    ])('$prefix $parts → $expected', ({ prefix, parts, expected }) => {
      expect(stableId(prefix, ...parts)).toBe(expected);
    });
  });

  it.each([
    { prefix: 's', parts: ['acme', 'web', 'device-1'] },
    { prefix: 'merge', parts: [] as string[] },
    { prefix: 'r', parts: ['', '', ''] },
    { prefix: 'u', parts: ['東京', '😀', '\u0000'] },
  ])('is deterministic: $prefix $parts', ({ prefix, parts }) => {
    const first = stableId(prefix, ...parts);
    expect(stableId(prefix, ...[...parts])).toBe(first);
  });

  it.each([
    { prefix: 's', parts: ['acme'] },
    { prefix: 'session', parts: ['a', 'b'] },
    { prefix: 'x', parts: [] as string[] },
    { prefix: '', parts: ['a'] },
  ])('has the form <prefix>_<16 lower-case hex digits>: $prefix', ({ prefix, parts }) => {
    const id = stableId(prefix, ...parts);
    expect(id.startsWith(`${prefix}_`)).toBe(true);
    expect(id.slice(prefix.length + 1)).toMatch(/^[0-9a-f]{16}$/);
  });

  it('with a lower-case prefix it fits the contract’s id pattern ^[a-z0-9_]{1,40}$', () => {
    expect(stableId('replay', 'acme', '2026-01-01T00:00:00Z', 'Order Completed')).toMatch(/^[a-z0-9_]{1,40}$/);
  });

  it('the prefix is a label, not hashed: same parts give the same hash under another prefix', () => {
    expect(stableId('a', 'x', 'y').slice(2)).toBe(stableId('b', 'x', 'y').slice(2));
  });

  describe('different framings of the same characters differ', () => {
    it.each([
      { left: ['ab', 'c'], right: ['a', 'bc'] },
      { left: ['abc'], right: ['a', 'bc'] },
      { left: ['abc'], right: ['ab', 'c'] },
      { left: ['a', ''], right: ['a'] },
      { left: ['', 'a'], right: ['a'] },
      { left: [''], right: [] as string[] },
      { left: ['', ''], right: [''] },
      { left: ['1:a'], right: ['a'] },
      { left: ['1:a', ''], right: ['a', '0:'] },
      { left: ['a:b', 'c'], right: ['a', 'b:c'] },
      { left: ['x', 'y'], right: ['y', 'x'] },
      { left: ['10', ':'], right: ['1', '0:'] },
    ])('$left vs $right', ({ left, right }) => {
      expect(stableId('p', ...left)).not.toBe(stableId('p', ...right));
    });
  });

  it('has no collisions across many similar inputs', () => {
    const ids = new Set<string>();
    let count = 0;
    for (let t = 0; t < 2_000; t += 1) {
      for (const device of ['a:anon-1', 'a:anon-2', 'u:anon-1']) {
        ids.add(stableId('s', 'acme', 'web', device, 'time', String(t)));
        count += 1;
      }
    }
    expect(ids.size).toBe(count);
  });

  it('distinguishes strings that differ only in a surrogate half', () => {
    expect(stableId('p', '\uD83D\uDE00')).not.toBe(stableId('p', '\uD83D\uDE01'));
  });
});
