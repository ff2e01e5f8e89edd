import { getTableColumns, getTableName, sql, type Column, type SQL, type Table } from 'drizzle-orm';
import { toSnakeCase } from 'drizzle-orm/casing';

/**
 * The bulk path: a batch of rows travels as one jsonb parameter and becomes
 * a record set, `jsonb_to_recordset($1::jsonb) AS x(project_id text, …)`,
 * with the table's column names and SQL types; a list of values travels as
 * one array parameter typed like its column. Every list comes from the
 * drizzle table (usually an `alias()` of it naming the record set), so a
 * renamed or retyped column follows the schema.
 */

/** A table's column keys (camelCase, as in db/schema). */
export type ColumnKey<T extends Table> = keyof T['_']['columns'] & string;

/**
 * A row as JSON carries it: the table's insert shape, with timestamps as the
 * strings Postgres is to parse (and may refuse: a row's data errors are its own).
 */
export type RecordsetRow<T extends Table, K extends ColumnKey<T>> = { [P in K]-?: AsJson<Exclude<T['$inferInsert'][P & keyof T['$inferInsert']], undefined>> };
type AsJson<V> = V extends Date ? string : V;

function columnOf<T extends Table>(table: T, key: ColumnKey<T>): Column {
  const column = getTableColumns(table)[key];
  if (!column) throw new Error(`${getTableName(table)} has no column ${key}`);
  return column;
}

/** A column's SQL type as a cast or a record set field takes it (a serial is its integer type there). */
function castType(column: Column): string {
  const type = column.getSQLType();
  return SERIAL_TYPES[type] ?? type;
}
const SERIAL_TYPES: Record<string, string> = { smallserial: 'smallint', serial: 'integer', bigserial: 'bigint' };

/** Every column key of the table but these (those Postgres fills, say), in the table's order. */
export function columnsExcept<T extends Table, E extends ColumnKey<T>>(table: T, except: readonly E[]): Exclude<ColumnKey<T>, E>[] {
  return (Object.keys(getTableColumns(table)) as ColumnKey<T>[]).filter((key): key is Exclude<ColumnKey<T>, E> => !(except as readonly string[]).includes(key));
}

/** A column's name in SQL under braid's snake_case casing. */
export function columnName<T extends Table>(table: T, key: ColumnKey<T>): string {
  const column = columnOf(table, key);
  return column.keyAsName ? toSnakeCase(column.name) : column.name;
}

/** The columns' bare SQL names, for an INSERT's column list: `"project_id", "event_id"`. */
export function columnList<T extends Table>(table: T, keys: readonly ColumnKey<T>[]): SQL {
  return sql.join(
    keys.map((key) => sql.identifier(columnName(table, key))),
    sql`, `,
  );
}

/** The columns qualified by their table or alias: `"x"."project_id", "x"."event_id"`. */
export function qualifiedList<T extends Table>(table: T, keys: readonly ColumnKey<T>[]): SQL {
  return sql.join(
    keys.map((key) => sql`${columnOf(table, key)}`),
    sql`, `,
  );
}

/**
 * `jsonb_to_recordset(<rows>::jsonb) AS <x>(<column> <type>, …)`: the rows as
 * a record set named like `x` (an alias of the table) with these columns.
 */
export function recordset<T extends Table, K extends ColumnKey<T>>(x: T, keys: readonly K[], rows: readonly RecordsetRow<T, K>[]): SQL {
  const names = keys.map((key) => columnName(x, key));
  const json = rows.map((row) => Object.fromEntries(keys.map((key, i) => [names[i], row[key]])));
  const fields = keys.map((key, i) => sql`${sql.identifier(names[i] as string)} ${sql.raw(castType(columnOf(x, key)))}`);
  return sql`jsonb_to_recordset(${JSON.stringify(json)}::jsonb) AS ${sql.identifier(getTableName(x))}(${sql.join(fields, sql`, `)})`;
}

/** `<column> = ANY(<values>::<type>[])`: one array parameter however many values (none matches nothing). */
export function anyOf(column: Column, values: readonly unknown[]): SQL {
  return sql`${column} = ANY(${sql.param(values)}::${sql.raw(castType(column))}[])`;
}
