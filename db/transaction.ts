import type pg from 'pg';

/**
 * Runs `work` in one transaction on a pooled client: committed when it
 * returns, rolled back when it throws. `repeatable read` gives it one
 * snapshot for all its statements.
 */
export async function inTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
  options: { isolation?: 'read committed' | 'repeatable read' } = {},
): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query(options.isolation === 'repeatable read' ? 'BEGIN ISOLATION LEVEL REPEATABLE READ' : 'BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
