/**
 * Makes parsed JSON storable in Postgres `jsonb`, which refuses the NUL
 * character and unpaired UTF-16 surrogates that JSON.parse happily accepts.
 * Each such character becomes U+FFFD. Returns the cleaned value and whether
 * anything changed, so the change can be recorded in lineage. Pure.
 */
export function sanitizeJson<T>(value: T): { value: T; changed: boolean } {
  let changed = false;
  const clean = (text: string): string => {
    if (!needsCleaning(text)) return text;
    changed = true;
    return text.toWellFormed().split('\u0000').join('\uFFFD');
  };
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return clean(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      // defineProperty, not assignment: a "__proto__" key from JSON.parse must stay an own key.
      for (const [k, inner] of Object.entries(v)) Object.defineProperty(out, clean(k), { value: walk(inner), enumerable: true, writable: true, configurable: true });
      return out;
    }
    return v;
  };
  const value2 = walk(value) as T;
  return { value: value2, changed };
}

function needsCleaning(text: string): boolean {
  return text.includes('\u0000') || !text.isWellFormed();
}
