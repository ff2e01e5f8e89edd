/**
 * Whether a parsed JSON value nests objects and arrays deeper than `limit`
 * (a scalar is depth 0, `{}` and `[]` depth 1). Iterative, so a value
 * thousands of levels deep is measured without exhausting the stack that
 * recursive code (sanitizing, JSON.stringify, validation) would.
 */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
  const stack: { v: unknown; depth: number }[] = [{ v: value, depth: 0 }];
  while (stack.length > 0) {
    const { v, depth } = stack.pop() as { v: unknown; depth: number };
    if (v === null || typeof v !== 'object') continue;
    if (depth + 1 > limit) return true;
    for (const inner of Array.isArray(v) ? v : Object.values(v)) {
      if (inner !== null && typeof inner === 'object') stack.push({ v: inner, depth: depth + 1 });
    }
  }
  return false;
}
