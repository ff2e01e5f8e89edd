import { describe, expect, it } from 'vitest';
import { isLinkableId } from '../../rules/identifiers';

describe('isLinkableId', () => {
  describe('placeholders named by the contract are never linkable', () => {
    it.each([
      { id: 'anonymous' },
      { id: 'guest' },
      { id: 'null' },
      { id: 'undefined' },
      { id: '0' },
      { id: 'NaN' },
      { id: '[object Object]' },
      { id: 'true' },
      { id: 'false' },
    ])('$id', ({ id }) => {
      expect(isLinkableId(id)).toBe(false);
    });
  });

  describe('other placeholders the rule knows', () => {
    it.each([
      { id: 'anon' },
      { id: 'nil' },
      { id: 'none' },
      { id: 'unknown' },
      { id: '-1' },
      { id: '{}' },
      { id: '[]' },
      { id: '00000000-0000-0000-0000-000000000000' },
    ])('$id', ({ id }) => {
      expect(isLinkableId(id)).toBe(false);
    });
  });

  describe('case variants', () => {
    it.each([
      { id: 'NULL' },
      { id: 'Null' },
      { id: 'nUlL' },
      { id: 'Anonymous' },
      { id: 'ANONYMOUS' },
      { id: 'GUEST' },
      { id: 'Undefined' },
      { id: 'nan' },
      { id: 'NAN' },
      { id: '[OBJECT OBJECT]' },
      { id: '[object object]' },
      { id: 'TRUE' },
      { id: 'False' },
      { id: 'None' },
    ])('$id', ({ id }) => {
      expect(isLinkableId(id)).toBe(false);
    });
  });

  describe('quoted variants (one layer of quotes)', () => {
    it.each([
      { id: '"null"' },
      { id: "'guest'" },
      { id: '`undefined`' },
      { id: '"anonymous"' },
      { id: "'0'" },
      { id: '"NaN"' },
      { id: '"[object Object]"' },
      { id: '" null "' },
      { id: ' "null" ' },
      { id: '"NULL"' },
      { id: '""' },
      { id: "''" },
      { id: '" "' },
      { id: '``' },
    ])('$id', ({ id }) => {
      expect(isLinkableId(id)).toBe(false);
    });
  });

  describe('empty and blank', () => {
    it.each([
      { label: 'empty', id: '' },
      { label: 'space', id: ' ' },
      { label: 'spaces', id: '     ' },
      { label: 'tab', id: '\t' },
      { label: 'newline', id: '\n' },
      { label: 'CRLF', id: '\r\n' },
      { label: 'no-break space', id: '\u00a0' },
      { label: 'ideographic space', id: '\u3000' },
      { label: 'BOM', id: '\ufeff' },
      { label: 'mixed whitespace', id: ' \t\n ' },
    ])('$label', ({ id }) => {
      expect(isLinkableId(id)).toBe(false);
    });
  });

  describe('whitespace around placeholders', () => {
    it.each([{ id: ' null' }, { id: 'null ' }, { id: '\tguest\n' }, { id: '  0  ' }, { id: '\u00a0anonymous\u00a0' }])('"$id"', ({ id }) => {
      expect(isLinkableId(id)).toBe(false);
    });
  });

  describe('not strings', () => {
    it.each([{ label: 'undefined', id: undefined }, { label: 'null', id: null }])('$label', ({ id }) => {
      expect(isLinkableId(id)).toBe(false);
    });

    it.each([
      { label: 'number', id: 42 },
      { label: 'object', id: {} },
      { label: 'array', id: ['user-1'] },
    ])('$label (as sent by a careless caller)', ({ id }) => {
      expect(isLinkableId(id as unknown as string)).toBe(false);
    });
  });

  describe('real ids are linkable', () => {
    it.each([
      { label: 'uuid v4', id: '3f2b8c1e-9d4a-4e7b-8c2f-1a2b3c4d5e6f' },
      { label: 'upper-case uuid', id: '3F2B8C1E-9D4A-4E7B-8C2F-1A2B3C4D5E6F' },
      { label: 'email', id: 'ada@example.com' },
      { label: 'email that contains a placeholder', id: 'null@example.com' },
      { label: 'numeric id', id: '12345' },
      { label: 'one', id: '1' },
      { label: 'zero-padded', id: '00' },
      { label: 'zero with decimals', id: '0.0' },
      { label: 'negative two', id: '-2' },
      { label: 'prefixed id', id: 'user_8f14e45f' },
      { label: 'word containing null', id: 'nullable' },
      { label: 'guest with a number', id: 'guest-42' },
      { label: 'anonymous with suffix', id: 'anonymous_1' },
      { label: 'single character', id: 'x' },
      { label: 'a lone quote character', id: '"' },
      { label: 'unbalanced quotes', id: '"null' },
      { label: 'mismatched quotes', id: `"null'` },
      { label: 'two layers of quotes', id: '""null""' },
      { label: 'unicode', id: 'utilisateur-é-東京' },
      { label: 'emoji', id: '😀' },
      { label: 'id with inner spaces', id: 'john smith' },
      { label: 'nearly the nil uuid', id: '00000000-0000-0000-0000-000000000001' },
      { label: 'quoted real id', id: '"user-1"' },
      { label: 'id with surrounding spaces', id: '  user-1  ' },
      { label: 'long id', id: 'a'.repeat(512) },
    ])('$label: $id', ({ id }) => {
      expect(isLinkableId(id)).toBe(true);
    });
  });
});
