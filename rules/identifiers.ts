/**
 * Ids that clients send when they have no real id. They are never used to
 * link identities or to key a device. Compared case-insensitively, after
 * trimming whitespace and one layer of quotes. Pure.
 */
const PLACEHOLDER_IDS = new Set([
  'anonymous',
  'anon',
  'guest',
  'null',
  'nil',
  'none',
  'undefined',
  'unknown',
  '0',
  '-1',
  'nan',
  '[object object]',
  'true',
  'false',
  '{}',
  '[]',
  '00000000-0000-0000-0000-000000000000',
]);

export function isLinkableId(id: string | undefined | null): boolean {
  if (typeof id !== 'string') return false;
  let text = id.trim();
  const quoted = /^(["'`])(.*)\1$/s.exec(text);
  if (quoted) text = (quoted[2] ?? '').trim();
  if (text.length === 0) return false;
  return !PLACEHOLDER_IDS.has(text.toLowerCase());
}
