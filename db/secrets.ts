import { createHash, randomBytes } from 'node:crypto';

/** A new secret with a readable prefix (`brd_…` tokens, `wk_…` write keys). */
export function newSecret(prefix: string): string {
  return `${prefix}_${randomBytes(24).toString('base64url')}`;
}

/** What braid stores instead of a secret. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** A short random id matching the contract's `^[a-z0-9_]{1,40}$`. */
export function newId(prefix: string): string {
  return `${prefix}_${randomBytes(8).toString('hex')}`;
}

/** How erased subjects are kept: a SHA-256 of project, kind and id, never the id itself. */
export function subjectHash(projectId: string, kind: string, id: string): string {
  return hashSecret(`${projectId}\u001f${kind}\u001f${id}`);
}
