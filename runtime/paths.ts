import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** The per-user cache shared by every clone on the machine (the Temporal CLI binary lives here). */
export function cacheDir(override?: string): string {
  if (override) return resolve(override);
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'braid');
}

/** The repository root (where package.json is). */
export const repoRoot = resolve(__dirname, '..');
