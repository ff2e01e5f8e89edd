import type pg from 'pg';
import { hashSecret, newId, newSecret } from './secrets';

export const ROLES = ['admin', 'operator', 'analyst'] as const;
export type Role = (typeof ROLES)[number];

export interface TokenIdentity {
  tokenId: string;
  name: string;
  role: Role;
}

export type TokenCheck = { kind: 'valid'; identity: TokenIdentity } | { kind: 'unknown' } | { kind: 'expired' } | { kind: 'revoked' };

export async function checkToken(pool: pg.Pool, token: string, now = new Date()): Promise<TokenCheck> {
  const res = await pool.query<{ token_id: string; name: string; role: Role; expires_at: Date | null; revoked_at: Date | null }>(
    'SELECT token_id, name, role, expires_at, revoked_at FROM braid.api_tokens WHERE token_hash = $1',
    [hashSecret(token)],
  );
  const row = res.rows[0];
  if (!row) return { kind: 'unknown' };
  if (row.revoked_at) return { kind: 'revoked' };
  if (row.expires_at && row.expires_at <= now) return { kind: 'expired' };
  return { kind: 'valid', identity: { tokenId: row.token_id, name: row.name, role: row.role } };
}

export async function createToken(pool: pg.Pool, input: { name: string; role: Role; expiresAt?: Date | null }): Promise<{ tokenId: string; token: string }> {
  const token = newSecret('brd');
  const tokenId = newId('tok');
  await pool.query('INSERT INTO braid.api_tokens (token_id, name, role, token_hash, expires_at) VALUES ($1, $2, $3, $4, $5)', [
    tokenId,
    input.name,
    input.role,
    hashSecret(token),
    input.expiresAt ?? null,
  ]);
  return { tokenId, token };
}

export async function revokeToken(pool: pg.Pool, tokenId: string): Promise<boolean> {
  const res = await pool.query('UPDATE braid.api_tokens SET revoked_at = now() WHERE token_id = $1 AND revoked_at IS NULL', [tokenId]);
  return (res.rowCount ?? 0) > 0;
}

/**
 * The bootstrap admin: BRAID_ADMIN_TOKEN when set (stored hashed, idempotent);
 * otherwise, when no admin token exists yet, a new one that is returned once
 * for the caller to print. Serialized with an advisory lock so concurrent
 * first starts create one admin.
 */
export async function ensureBootstrapAdmin(pool: pg.Pool, configured?: string): Promise<{ printedToken: string | null }> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SELECT pg_advisory_xact_lock(hashtext('braid:bootstrap-admin'))`);
    if (configured) {
      await client.query(
        `INSERT INTO braid.api_tokens (token_id, name, role, token_hash) VALUES ($1, 'bootstrap admin (BRAID_ADMIN_TOKEN)', 'admin', $2)
         ON CONFLICT (token_hash) DO NOTHING`,
        [newId('tok'), hashSecret(configured)],
      );
      await client.query('COMMIT');
      return { printedToken: null };
    }
    const existing = await client.query(`SELECT 1 FROM braid.api_tokens WHERE role = 'admin' AND revoked_at IS NULL LIMIT 1`);
    if (existing.rowCount) {
      await client.query('COMMIT');
      return { printedToken: null };
    }
    const token = newSecret('brd');
    await client.query(`INSERT INTO braid.api_tokens (token_id, name, role, token_hash) VALUES ($1, 'bootstrap admin', 'admin', $2)`, [newId('tok'), hashSecret(token)]);
    await client.query('COMMIT');
    return { printedToken: token };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
