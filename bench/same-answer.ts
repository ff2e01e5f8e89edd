/**
 * Whether Postgres and DuckDB gave the same answer to an analysis: a
 * benchmark of two engines means nothing if they answered different
 * questions.
 */

export type AnswerRow = Record<string, unknown>;

export type AnswerComparison = { equal: true } | { equal: false; difference: string };

/**
 * The same rows in the same order with the same columns; strings, nulls and
 * booleans identical; numbers within `tolerance` of each other (absolute),
 * for figures the engines compute by different arithmetic (percentiles
 * interpolated, rates rounded). A tolerance below 1 keeps counts exact. A
 * number on one side and a numeric string on the other is a difference: the
 * query forgot a cast.
 */
export function compareAnswers(postgres: readonly AnswerRow[], duckdb: readonly AnswerRow[], tolerance = 0): AnswerComparison {
  if (postgres.length !== duckdb.length) return { equal: false, difference: `${postgres.length} rows (postgres) vs ${duckdb.length} rows (duckdb)` };
  for (const [i, p] of postgres.entries()) {
    const d = duckdb[i] as AnswerRow;
    const [pKeys, dKeys] = [Object.keys(p), Object.keys(d)];
    if (pKeys.join(',') !== dKeys.join(',')) return { equal: false, difference: `row ${i}: columns ${pKeys.join(',')} (postgres) vs ${dKeys.join(',')} (duckdb)` };
    for (const key of pKeys) {
      if (!sameValue(p[key], d[key], tolerance)) {
        return { equal: false, difference: `row ${i} ${key}: ${JSON.stringify(p[key])} (postgres) vs ${JSON.stringify(d[key])} (duckdb)` };
      }
    }
  }
  return { equal: true };
}

function sameValue(a: unknown, b: unknown, tolerance: number): boolean {
  if (typeof a === 'number' && typeof b === 'number') return a === b || Math.abs(a - b) <= tolerance;
  return Object.is(a, b);
}
