import { toSnakeCase } from 'drizzle-orm/casing';
import { getViewConfig, type PgView } from 'drizzle-orm/pg-core';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool } from '../../db/client';
import { analyticsAccounting, analyticsEvents, analyticsLineage, analyticsRejectedEvents } from '../../db/schema';
import { loadConfig } from '../../runtime/config';

/**
 * The analytics views db/ reads are declared for drizzle (`.existing()`); db/views/*.sql defines
 * them. A declaration that names a column the view lacks, or misses one it has, fails here.
 */
describe('analytics view declarations', () => {
  let pool: pg.Pool;
  beforeAll(() => {
    pool = createPool(loadConfig().DATABASE_URL, 1);
  });
  afterAll(async () => {
    await pool.end();
  });

  it.each([analyticsEvents, analyticsLineage, analyticsRejectedEvents, analyticsAccounting].map((view) => [getViewConfig(view as PgView).name, view]))(
    'analytics.%s is declared with exactly its columns',
    async (name, view) => {
      const config = getViewConfig(view as PgView);
      const declared = Object.values(config.selectedFields).map((c) => toSnakeCase((c as { name: string }).name));
      const res = await pool.query<{ column_name: string }>(
        `SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position`,
        [config.schema, name],
      );
      expect(res.rows.map((r) => r.column_name).sort()).toEqual(declared.sort());
    },
  );
});
