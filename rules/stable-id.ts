const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK = 0xffffffffffffffffn;

/**
 * A short, stable id from its parts (64-bit FNV-1a over their UTF-16 code
 * units, with a separator that cannot occur in the parts' lengths). Pure and
 * deterministic, so workflow code may use it. Not for secrets.
 */
export function stableId(prefix: string, ...parts: string[]): string {
  let hash = FNV_OFFSET;
  for (const part of parts) {
    const framed = `${part.length}:${part}`;
    for (let i = 0; i < framed.length; i++) {
      hash ^= BigInt(framed.charCodeAt(i));
      hash = (hash * FNV_PRIME) & MASK;
    }
  }
  return `${prefix}_${hash.toString(16).padStart(16, '0')}`;
}
