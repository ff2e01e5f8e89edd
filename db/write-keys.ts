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

/** A key's project, channel and id, and until when it works (null: until revoked); null when unknown or revoked. */
export async function resolveWriteKey(pool: pg.Pool, key: string): Promise<{ projectId: string; channel: string; keyId: string; validUntilMs: number | null } | null> {
  const res = await pool.query<{ project_id: string; channel: string; key_id: string; revoked_at: Date | null }>(
    'SELECT project_id, channel, key_id, revoked_at FROM braid.write_keys WHERE key_hash = $1 AND (revoked_at IS NULL OR revoked_at > now())',
    [hashSecret(key)],
  );
  const row = res.rows[0];
  return row ? { projectId: row.project_id, channel: row.channel, keyId: row.key_id, validUntilMs: row.revoked_at?.getTime() ?? null } : null;
}

export interface WriteKeyInfo {
  keyId: string;
  channel: string;
  createdAt: Date;
  /** When it stops (or stopped) working: set by a revocation, or by a rotation's overlap window. */
  revokedAt: Date | null;
}

/** A project's write keys, newest first (no secrets). */
export async function listWriteKeys(pool: pg.Pool, projectId: string): Promise<WriteKeyInfo[]> {
  const res = await pool.query<{ key_id: string; channel: string; created_at: Date; revoked_at: Date | null }>(
    'SELECT key_id, channel, created_at, revoked_at FROM braid.write_keys WHERE project_id = $1 ORDER BY created_at DESC, key_id',
    [projectId],
  );
  return res.rows.map((r) => ({ keyId: r.key_id, channel: r.channel, createdAt: r.created_at, revokedAt: r.revoked_at }));
}

/**
 * Rotates a channel's key: a new key (returned once) works at once, and the
 * channel's keys still working stop after `overlapMs` (their clients move
 * over meanwhile). Returns the new key and when the old ones stop.
 */
export async function rotateWriteKey(pool: pg.Pool, projectId: string, channel: string, overlapMs: number): Promise<{ keyId: string; key: string; previousKeysUntil: Date; previousKeyIds: string[] }> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const until = new Date(Date.now() + overlapMs);
    const old = await client.query<{ key_id: string }>(
      `UPDATE braid.write_keys SET revoked_at = $3
       WHERE project_id = $1 AND channel = $2 AND (revoked_at IS NULL OR revoked_at > $3) RETURNING key_id`,
      [projectId, channel, until],
    );
    const key = newSecret(`wk_${channel}`);
    const keyId = newId('wk');
    await client.query('INSERT INTO braid.write_keys (key_id, project_id, channel, key_hash) VALUES ($1, $2, $3, $4)', [keyId, projectId, channel, hashSecret(key)]);
    await client.query('COMMIT');
    return { keyId, key, previousKeysUntil: until, previousKeyIds: old.rows.map((r) => r.key_id) };
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    client.release();
  }
}

/** Revokes a key now; false when the project has no such key. */
export async function revokeWriteKey(pool: pg.Pool, projectId: string, keyId: string): Promise<boolean> {
  const res = await pool.query(
    `UPDATE braid.write_keys SET revoked_at = LEAST(COALESCE(revoked_at, now()), now()) WHERE project_id = $1 AND key_id = $2`,
    [projectId, keyId],
  );
  return (res.rowCount ?? 0) > 0;
}
