import type { SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import type { Connection } from './client';

/**
 * Analysts' figures show the SQL they ran, so it can be copied and run again
 * (psql, a notebook, as a braid_analyst role). A query is built once as a
 * drizzle `sql` template; it runs with its parameters bound, and is shown
 * with the same parameters written in as SQL literals.
 */

/** The same dialect settings as createDb, so the text shown is the text run. */
const dialect = new PgDialect({ casing: 'snake_case' });

/** A value as a SQL literal: strings quoted (standard_conforming_strings), arrays as ARRAY[…], null as NULL. Pure. */
export function sqlLiteral(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`no SQL literal for ${value}`);
    return String(value);
  }
  if (typeof value === 'bigint') return String(value);
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (value instanceof Date) return quote(value.toISOString());
  if (Array.isArray(value)) return value.length === 0 ? `'{}'` : `ARRAY[${value.map(sqlLiteral).join(', ')}]`;
  if (typeof value === 'object') return quote(JSON.stringify(value));
  return quote(String(value));
}

const quote = (text: string) => `'${text.replace(/'/g, "''")}'`;

/** `text` with each `$n` replaced by params[n-1] as a literal. Pure. */
export function inlineParams(text: string, params: readonly unknown[]): string {
  return text.replace(/\$(\d+)/g, (placeholder, n: string) => {
    const index = Number(n) - 1;
    if (index < 0 || index >= params.length) throw new Error(`${placeholder} has no parameter (${params.length} given)`);
    return sqlLiteral(params[index]);
  });
}

/** Lines without the indentation they share (a template literal's), and without blank ends. Pure. */
export function dedent(text: string): string {
  const lines = text.replace(/^\s*\n/, '').trimEnd().split('\n');
  const indents = lines.filter((l) => l.trim() !== '').map((l) => /^ */.exec(l)?.[0].length ?? 0);
  const common = Math.min(...indents);
  return lines.map((l) => l.slice(Math.min(common, /^ */.exec(l)?.[0].length ?? 0))).join('\n');
}

/** The text that runs (the template's, without its indentation) and its parameters. */
function toQuery(query: SQL): { text: string; params: unknown[] } {
  const { sql: text, params } = dialect.sqlToQuery(query);
  return { text: dedent(text), params };
}

/** The query as it is shown: the text that runs, with its parameters written in. */
export function shownSql(query: SQL): string {
  const { text, params } = toQuery(query);
  return inlineParams(text, params);
}

/** Runs `query` (its text as shownSql has it, parameters bound) and answers its rows with the SQL shown for it. */
export async function runShown<T extends Record<string, unknown>>(connection: Connection, query: SQL): Promise<{ rows: T[]; sql: string }> {
  const { text, params } = toQuery(query);
  const res = await connection.query<T>(text, params);
  return { rows: res.rows, sql: inlineParams(text, params) };
}
