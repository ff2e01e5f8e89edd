/** Characters that separate words in event names: whitespace, `_`, `-`, `.`, `:` and `/`. */
const SEPARATORS = /[\s_.:/-]+/g;

/**
 * The key under which event names that differ only in case or separators
 * meet: "Order Completed", "order_completed" and "OrderCompleted" all become
 * "ordercompleted". Two names with one key are probable duplicates of each
 * other. analytics.event_name_collisions computes the same key in SQL:
 * lower(regexp_replace(name, '[[:space:]_.:/-]+', '', 'g')). Pure.
 */
export function eventNameKey(name: string): string {
  return name.replace(SEPARATORS, '').toLowerCase();
}

/** Names among `known` that are probable duplicates of `name` (same key, different spelling). */
export function probableDuplicates(name: string, known: Iterable<string>): string[] {
  const key = eventNameKey(name);
  const out: string[] = [];
  for (const other of known) if (other !== name && eventNameKey(other) === key) out.push(other);
  return out.sort();
}
