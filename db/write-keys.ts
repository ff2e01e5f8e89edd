import type pg from 'pg';
import { hashSecret, newId, newSecret } from './secrets';

/** Creates one write key per channel; the keys are returned once and stored hashed. */
export async function createWriteKeys(db: Pick<pg.PoolClient, 'query'>, projectId: string, channels: readonly string[]): Promise<Record<string, string>> {
  const keys: Record<string, string> = {};
  for (const channel of channels) {
    const key = newSecret(`wk_${channel}`);
    await db.query('INSERT INTO braid.write_keys (key_id, project_id, channel, key_hash) VALUES ($1, $2, $3, $4)', [newId('wk'), projectId, channel, hashSecret(key)]);
    keys[channel] = key;
  }
  return keys;
}

export async function resolveWriteKey(pool: pg.Pool, key: string): Promise<{ projectId: string; channel: string } | null> {
  const res = await pool.query<{ project_id: string; channel: string }>(
    'SELECT project_id, channel FROM braid.write_keys WHERE key_hash = $1 AND revoked_at IS NULL',
    [hashSecret(key)],
  );
  const row = res.rows[0];
  return row ? { projectId: row.project_id, channel: row.channel } : null;
}
