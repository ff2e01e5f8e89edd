import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { once } from 'node:events';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { LAKE_COLUMNS, type LakeColumnKind } from '../db/lake';
import { eventsDir } from '../rules/lake-layout';

/**
 * The lake's files, through DuckDB (in-process): a partition's rows, given
 * as JSON lines, become one Parquet file (zstd), which a LakeStore puts in
 * place whole (lake/store.ts); and SQL over a lake directory as a table
 * `events` (a bucket lake is read from a local mirror, lake/s3-mirror.ts).
 */

const DUCKDB_TYPES: Record<LakeColumnKind, string> = { text: 'VARCHAR', timestamp: 'TIMESTAMPTZ', json: 'JSON' };

let writer: Promise<DuckDBInstance> | null = null;

/** One in-memory DuckDB per process for writing, on one thread: the pipeline keeps the cores. */
function writerInstance(): Promise<DuckDBInstance> {
  writer ??= DuckDBInstance.create(':memory:', { threads: '1' });
  return writer;
}

/** A string as a DuckDB SQL literal. */
function literal(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** The lines of a partition, written by `produce` through `write`; it returns how many rows it wrote. */
export type LineProducer = (write: (lines: string[]) => Promise<void>) => Promise<number>;

/**
 * Writes a partition's rows as one Parquet file at `path`: JSON lines into a
 * scratch file beside it, then DuckDB copies them to `path`. Writes nothing
 * when there are no rows. Returns the number of rows. Where the file goes
 * next (renamed into a directory lake, uploaded to a bucket) is the store's.
 */
export async function writeParquetFile(path: string, produce: LineProducer): Promise<number> {
  const scratch = `${path}.ndjson`;
  try {
    const rows = await writeLines(scratch, produce);
    if (rows === 0) return 0;
    const connection = await (await writerInstance()).connect();
    try {
      await connection.run(
        `COPY (SELECT * FROM read_json(${literal(scratch)}, format = 'newline_delimited', columns = ${columnsStruct()})) ` +
          `TO ${literal(path)} (FORMAT parquet, COMPRESSION zstd)`,
      );
    } finally {
      connection.closeSync();
    }
    return rows;
  } finally {
    await rm(scratch, { force: true });
  }
}

async function writeLines(path: string, produce: LineProducer): Promise<number> {
  const out = createWriteStream(path);
  try {
    const rows = await produce(async (lines) => {
      if (!out.write(`${lines.join('\n')}\n`)) await once(out, 'drain');
    });
    out.end();
    await once(out, 'finish');
    return rows;
  } catch (error) {
    out.destroy();
    throw error;
  }
}

/** `{event_id: 'VARCHAR', …}`: read_json's column types, from analytics.events' declaration. */
function columnsStruct(): string {
  return `{${LAKE_COLUMNS.map((c) => `${c.name}: '${DUCKDB_TYPES[c.kind]}'`).join(', ')}}`;
}

export interface LakeQueryResult {
  columns: string[];
  rows: Record<string, unknown>[];
}

/** The lake open for queries: one DuckDB (in memory) whose view `events` reads every partition. */
export interface LakeReader {
  query(sql: string): Promise<LakeQueryResult>;
  close(): void;
}

/**
 * Opens the lake for several queries on one DuckDB and one connection (its
 * caches warm across them), `events` being every partition (`project_id`
 * and `event_date` from the paths). A lake with no files yet answers from an
 * empty `events` with the same columns. The caller closes it.
 */
export async function openLake(lakeDir: string): Promise<LakeReader> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  const close = () => {
    connection.closeSync();
    instance.closeSync();
  };
  try {
    await defineEvents(connection, lakeDir);
  } catch (error) {
    close();
    throw error;
  }
  return {
    async query(sql) {
      const reader = await connection.runAndReadAll(sql);
      return { columns: reader.columnNames(), rows: reader.getRowObjectsJson() as Record<string, unknown>[] };
    },
    close,
  };
}

/** Runs one DuckDB query over the lake (see openLake). */
export async function queryLake(lakeDir: string, query: string): Promise<LakeQueryResult> {
  const lake = await openLake(lakeDir);
  try {
    return await lake.query(query);
  } finally {
    lake.close();
  }
}

async function defineEvents(connection: DuckDBConnection, lakeDir: string): Promise<void> {
  const glob = `${eventsDir(lakeDir)}/project_id=*/event_date=*/*.parquet`;
  const files = await connection.runAndReadAll(`SELECT count(*)::INTEGER AS n FROM glob(${literal(glob)})`);
  const hasFiles = Number(files.getRowObjectsJson()[0]?.n ?? 0) > 0;
  if (hasFiles) {
    await connection.run(
      `CREATE VIEW events AS SELECT * FROM read_parquet(${literal(glob)}, hive_partitioning = true, ` +
        `hive_types = {'project_id': VARCHAR, 'event_date': DATE})`,
    );
  } else {
    const columns = LAKE_COLUMNS.map((c) => `NULL::${DUCKDB_TYPES[c.kind]} AS ${c.name}`).join(', ');
    await connection.run(`CREATE VIEW events AS SELECT ${columns}, NULL::VARCHAR AS project_id, NULL::DATE AS event_date WHERE false`);
  }
}
