import { describe, expect, it } from 'vitest';
import { sanitizeJson } from '../../rules/sanitize';

const NUL = '\u0000';
const REPLACEMENT = '\uFFFD';
const HIGH = '\uD83D'; // lone high surrogate
const LOW = '\uDE00'; // lone low surrogate
const PAIR = '\uD83D\uDE00'; // 😀, a valid pair

describe('sanitizeJson', () => {
  describe('strings', () => {
    it.each([
      { label: 'NUL alone', input: NUL, expected: REPLACEMENT },
      { label: 'NUL in the middle', input: `a${NUL}b`, expected: `a${REPLACEMENT}b` },
      { label: 'several NULs', input: `${NUL}${NUL}x${NUL}`, expected: `${REPLACEMENT}${REPLACEMENT}x${REPLACEMENT}` },
      { label: 'lone high surrogate', input: `x${HIGH}y`, expected: `x${REPLACEMENT}y` },
      { label: 'lone low surrogate', input: `x${LOW}y`, expected: `x${REPLACEMENT}y` },
      { label: 'high surrogate at the end', input: `abc${HIGH}`, expected: `abc${REPLACEMENT}` },
      { label: 'reversed pair', input: `${LOW}${HIGH}`, expected: `${REPLACEMENT}${REPLACEMENT}` },
      { label: 'NUL and a lone surrogate', input: `${NUL}${HIGH}`, expected: `${REPLACEMENT}${REPLACEMENT}` },
      { label: 'valid pair next to a lone surrogate', input: `${PAIR}${HIGH}`, expected: `${PAIR}${REPLACEMENT}` },
      { label: 'string produced by JSON.parse of \\u0000', input: JSON.parse('"a\\u0000b"') as string, expected: `a${REPLACEMENT}b` },
      { label: 'string produced by JSON.parse of \\ud800', input: JSON.parse('"a\\ud800b"') as string, expected: `a${REPLACEMENT}b` },
    ])('$label is cleaned and reported', ({ input, expected }) => {
      expect(sanitizeJson(input)).toEqual({ value: expected, changed: true });
    });

    it.each([
      { label: 'empty', input: '' },
      { label: 'ASCII', input: 'Order Completed' },
      { label: 'emoji (valid surrogate pair)', input: `hi ${PAIR}` },
      { label: 'accents and CJK', input: 'café 東京' },
      { label: 'U+FFFD already present', input: `broken ${REPLACEMENT}` },
      { label: 'other control characters', input: '\u0001\u001f\t\n\r' },
      { label: 'the text "\\u0000" (escaped, not a NUL)', input: '\\u0000' },
    ])('$label is left alone', ({ input }) => {
      expect(sanitizeJson(input)).toEqual({ value: input, changed: false });
    });
  });

  describe('scalars other than strings are left alone', () => {
    it.each([
      { label: 'null', input: null },
      { label: 'zero', input: 0 },
      { label: 'negative float', input: -1.5 },
      { label: 'true', input: true },
      { label: 'false', input: false },
    ])('$label', ({ input }) => {
      expect(sanitizeJson(input)).toEqual({ value: input, changed: false });
    });
  });

  describe('nested values', () => {
    it.each([
      {
        label: 'value in an object',
        input: { a: `x${NUL}` },
        expected: { a: `x${REPLACEMENT}` },
      },
      {
        label: 'key of an object',
        input: { [`k${NUL}`]: 1 },
        expected: { [`k${REPLACEMENT}`]: 1 },
      },
      {
        label: 'key with a lone surrogate',
        input: { [`k${HIGH}`]: 'v' },
        expected: { [`k${REPLACEMENT}`]: 'v' },
      },
      {
        label: 'array elements',
        input: ['ok', `${LOW}`, 3, null],
        expected: ['ok', REPLACEMENT, 3, null],
      },
      {
        label: 'arrays in arrays',
        input: [[[`${NUL}`]], []],
        expected: [[[REPLACEMENT]], []],
      },
      {
        label: 'deep object in array in object',
        input: { properties: { items: [{ sku: `A${NUL}1`, tags: ['x', `y${HIGH}`] }], total: 3 }, traits: {} },
        expected: { properties: { items: [{ sku: `A${REPLACEMENT}1`, tags: ['x', `y${REPLACEMENT}`] }], total: 3 }, traits: {} },
      },
      {
        label: 'nested key and value',
        input: { outer: { [`in${NUL}ner`]: { deep: `${LOW}` } } },
        expected: { outer: { [`in${REPLACEMENT}ner`]: { deep: REPLACEMENT } } },
      },
    ])('$label', ({ input, expected }) => {
      expect(sanitizeJson(input)).toEqual({ value: expected, changed: true });
    });

    it.each([
      { label: 'empty object', input: {} },
      { label: 'empty array', input: [] },
      { label: 'event-shaped object', input: { type: 'track', event: 'Order Completed', properties: { total: 12.5, items: [{ sku: 'A1' }], coupon: null }, context: { locale: 'fr-FR' } } },
      { label: 'emoji keys and values', input: { [`${PAIR}`]: [`${PAIR}`, { é: 'ü' }] } },
      { label: 'deeply nested arrays', input: [[[[[[1, 'a', true, null]]]]]] },
    ])('$label is returned unchanged with changed=false', ({ input }) => {
      const result = sanitizeJson(input);
      expect(result.changed).toBe(false);
      expect(result.value).toEqual(input);
    });
  });

  it('does not modify its input', () => {
    const input = { a: [`x${NUL}`], [`k${HIGH}`]: { b: `${LOW}` } };
    const snapshot = JSON.stringify(input);
    const result = sanitizeJson(input);
    expect(result.changed).toBe(true);
    expect(JSON.stringify(input)).toBe(snapshot);
    expect(result.value).not.toBe(input);
  });

  it('output serializes as well-formed text without NUL', () => {
    const input = JSON.parse('{"a\\u0000":["\\udc00","\\ud83d\\ude00",{"k":"\\u0000\\ud800"}]}') as unknown;
    const { value, changed } = sanitizeJson(input);
    const text = JSON.stringify(value);
    expect(changed).toBe(true);
    expect(text.includes('\u0000')).toBe(false);
    expect(text.isWellFormed()).toBe(true);
    expect(value).toEqual({ [`a${REPLACEMENT}`]: [REPLACEMENT, PAIR, { k: `${REPLACEMENT}${REPLACEMENT}` }] });
  });

  it('changed reflects only the value it is given (no state kept between calls)', () => {
    expect(sanitizeJson({ a: NUL }).changed).toBe(true);
    expect(sanitizeJson({ a: 'clean' }).changed).toBe(false);
  });

  describe('keys that are special in JavaScript stay ordinary data', () => {
    // JSON.parse makes "__proto__" an own property. Parsed JSON must keep it as one.
    it.each([
      { label: 'top-level __proto__', json: '{"__proto__":{"a":1},"b":2}' },
      { label: 'nested __proto__', json: '{"properties":{"__proto__":{"isAdmin":true}}}' },
      { label: '__proto__ with a scalar value', json: '{"__proto__":"x"}' },
    ])('$label survives as an own key', ({ json }) => {
      const parsed = JSON.parse(json) as unknown;
      const result = sanitizeJson(parsed);
      expect(result.changed).toBe(false);
      expect(JSON.stringify(result.value)).toBe(json);
    });

    it.each([
      { label: 'constructor', json: '{"constructor":{"name":"x"}}' },
      { label: 'prototype', json: '{"prototype":1}' },
      { label: 'toString', json: '{"toString":"x","hasOwnProperty":2}' },
    ])('$label survives', ({ json }) => {
      const result = sanitizeJson(JSON.parse(json) as unknown);
      expect(JSON.stringify(result.value)).toBe(json);
      expect(result.changed).toBe(false);
    });
  });
});
