import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { dedent, inlineParams, shownSql, sqlLiteral } from '../../db/sql-text';

describe('sqlLiteral', () => {
  it.each([
    [null, 'NULL'],
    [undefined, 'NULL'],
    [42, '42'],
    [-1.5, '-1.5'],
    [true, 'TRUE'],
    [false, 'FALSE'],
    ['Order Completed', "'Order Completed'"],
    ["O'Brien's", "'O''Brien''s'"],
    ["'; DROP TABLE x; --", "'''; DROP TABLE x; --'"],
    ['back\\slash', "'back\\slash'"],
    ['$1', "'$1'"],
    ['', "''"],
    [new Date('2026-05-04T10:00:00Z'), "'2026-05-04T10:00:00.000Z'"],
    [['A', "B'C"], "ARRAY['A', 'B''C']"],
    [[], "'{}'"],
    [{ a: "it's" }, `'{"a":"it''s"}'`],
  ])('%j → %s', (value, literal) => {
    expect(sqlLiteral(value)).toBe(literal);
  });

  it('writes a bigint as its digits', () => {
    expect(sqlLiteral(10n)).toBe('10');
  });

  it.each([Number.NaN, Number.POSITIVE_INFINITY])('has no literal for %s', (n) => {
    expect(() => sqlLiteral(n)).toThrow();
  });
});

describe('inlineParams', () => {
  it('writes each $n in, $10 as the tenth (not $1 and a 0)', () => {
    const params = Array.from({ length: 10 }, (_, i) => `p${i + 1}`);
    expect(inlineParams('SELECT $1, $10, $2', params)).toBe("SELECT 'p1', 'p10', 'p2'");
  });
  it('does not re-read a value that itself looks like a placeholder', () => {
    expect(inlineParams('SELECT $1, $2', ['$2', 'x'])).toBe("SELECT '$2', 'x'");
  });
  it('refuses a placeholder without a parameter', () => {
    expect(() => inlineParams('SELECT $2', ['x'])).toThrow(/\$2 has no parameter/);
    expect(() => inlineParams('SELECT $0', ['x'])).toThrow();
  });
});

describe('dedent', () => {
  it.each([
    ['\n      SELECT 1\n      FROM x\n        WHERE y', 'SELECT 1\nFROM x\n  WHERE y'],
    ['SELECT 1', 'SELECT 1'],
    ['\n    a\n\n    b\n  ', 'a\n\nb'],
    ['', ''],
  ])('%j → %j', (text, out) => {
    expect(dedent(text)).toBe(out);
  });
});

describe('shownSql', () => {
  it('shows a drizzle template with its parameters written in, arrays as one ARRAY', () => {
    const steps = ['Product Viewed', "Kid's Toy"];
    const query = sql`
      SELECT * FROM analytics.funnel(${'shop'}, ${sql.param(steps)}::text[], ${'2026-05-04T00:00:00Z'}::timestamptz, ${'2026-05-05T00:00:00Z'}::timestamptz, ${'1 day'}::interval)`;
    expect(shownSql(query)).toBe(
      "SELECT * FROM analytics.funnel('shop', ARRAY['Product Viewed', 'Kid''s Toy']::text[], '2026-05-04T00:00:00Z'::timestamptz, '2026-05-05T00:00:00Z'::timestamptz, '1 day'::interval)",
    );
  });
});
