/**
 * PII minimization per project policy, applied before an event is written.
 * Pure: the keyed pseudonymization function is handed in (HMAC-SHA256 with
 * the project's key, in the activity).
 *
 * - `context.ip`: IPv4 truncated to its /24 (`203.0.113.0`), IPv6 to its /48
 *   (`2001:db8:1::`); anything else that is not an address is removed.
 * - `drop`: paths removed (`properties.ssn`, `traits.address.street`, `context.traits.email`).
 * - `pseudonymize`: paths replaced by `hmac:<hex>`; the same value gives the
 *   same pseudonym within a project, so joins and counts still work.
 * Paths start at `properties`, `traits` or `context`.
 */
export interface PiiPolicy {
  truncateIp: boolean;
  drop: readonly string[];
  pseudonymize: readonly string[];
}

export interface Minimizable {
  properties: Record<string, unknown>;
  traits: Record<string, unknown>;
  context: Record<string, unknown>;
}

export interface Minimized<T> {
  event: T;
  /** What changed, for lineage (`ip_truncated`, `dropped:<path>`, `pseudonymized:<path>`). */
  changes: string[];
}

type Root = 'properties' | 'traits' | 'context';
const ROOTS: readonly Root[] = ['properties', 'traits', 'context'];

export function minimize<T extends Minimizable>(event: T, policy: PiiPolicy, pseudonymize: (value: string) => string): Minimized<T> {
  const changes: string[] = [];
  const copy = { ...event, properties: structuredClone(event.properties), traits: structuredClone(event.traits), context: structuredClone(event.context) };

  if (policy.truncateIp && copy.context.ip !== undefined) {
    const truncated = truncateIp(copy.context.ip);
    if (truncated === null) delete copy.context.ip;
    else copy.context.ip = truncated;
    if (copy.context.ip !== event.context.ip) changes.push('ip_truncated');
  }
  for (const path of policy.drop) {
    const target = locate(copy, path);
    if (target && Object.prototype.hasOwnProperty.call(target.parent, target.key)) {
      delete target.parent[target.key];
      changes.push(`dropped:${path}`);
    }
  }
  for (const path of new Set(policy.pseudonymize)) {
    const target = locate(copy, path);
    if (!target || !Object.prototype.hasOwnProperty.call(target.parent, target.key)) continue;
    const value = target.parent[target.key];
    if (value === null || value === undefined || (typeof value === 'string' && value.trim() === '')) continue;
    const text = typeof value === 'string' ? value.trim().toLowerCase() : JSON.stringify(value);
    target.parent[target.key] = `hmac:${pseudonymize(text)}`;
    changes.push(`pseudonymized:${path}`);
  }
  return { event: copy as T, changes };
}

function locate(event: Minimizable, path: string): { parent: Record<string, unknown>; key: string } | null {
  const parts = path.split('.').filter(Boolean);
  const root = parts.shift() as Root | undefined;
  if (!root || !ROOTS.includes(root) || parts.length === 0) return null;
  let node: unknown = event[root];
  for (const part of parts.slice(0, -1)) {
    if (typeof node !== 'object' || node === null || Array.isArray(node)) return null;
    node = (node as Record<string, unknown>)[part];
  }
  if (typeof node !== 'object' || node === null || Array.isArray(node)) return null;
  return { parent: node as Record<string, unknown>, key: parts[parts.length - 1] as string };
}

const OCTET = '(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4 = new RegExp(`^${OCTET}\\.${OCTET}\\.${OCTET}\\.${OCTET}$`);

/** IPv4 → its /24, IPv6 → its /48, anything else → null. */
export function truncateIp(ip: unknown): string | null {
  if (typeof ip !== 'string') return null;
  const text = ip.trim();
  const v4 = IPV4.exec(text);
  if (v4) return `${v4[1]}.${v4[2]}.${v4[3]}.0`;
  const v6 = expandIpv6(text);
  if (v6) return `${v6.slice(0, 3).map((h) => h.replace(/^0+(?=.)/, '')).join(':')}::`;
  return null;
}

function expandIpv6(text: string): string[] | null {
  if (!/^[0-9a-fA-F:]+$/.test(text) || !text.includes(':')) return null;
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  if ([...head, ...tail].some((h) => h.length === 0 || h.length > 4)) return null;
  const missing = 8 - head.length - tail.length;
  // Without "::" all eight groups are written; with it, "::" stands for at least one zero group.
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  return [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail].map((h) => h.toLowerCase());
}
