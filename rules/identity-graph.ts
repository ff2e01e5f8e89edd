import { isLinkableId } from './identifiers';
import { stableId } from './stable-id';

/**
 * The identity graph's rules, over plain data. Identities are user ids and
 * anonymous ids (separate namespaces: user "x" and anonymous "x" are two
 * identities). A person is a connected set of identities, joined by links
 * that each record their cause. Pure.
 *
 * Rules:
 * - an anonymous id joins the person of the user id it is seen with (identify,
 *   alias, or any event carrying both);
 * - two different identified users are never joined implicitly: a link that
 *   would put two user ids in one person is refused (shared devices, logout and
 *   login); only an operator merge joins them;
 * - placeholder ids (`anonymous`, `null`, `0`, …, blank) never link;
 * - a link of an identity to itself (a self-alias) is refused;
 * - a person's id comes from its root: its first-seen user id, else its
 *   first-seen anonymous id, so a split or a merge gives the same ids
 *   whatever order the links were made in.
 */
export type IdentityKind = 'user' | 'anonymous';

export interface Identity {
  kind: IdentityKind;
  id: string;
  firstSeenMs: number;
}

export interface Link {
  linkId: string;
  a: IdentityRef;
  b: IdentityRef;
}

export interface IdentityRef {
  kind: IdentityKind;
  id: string;
}

export type LinkRule = 'identify' | 'alias' | 'event_both_ids' | 'operator_merge';

export type LinkDecision =
  | { kind: 'link' }
  | { kind: 'noop' }
  | { kind: 'refuse'; reason: 'placeholder_id' | 'self_link' | 'would_merge_identified_users' };

export const refKey = (r: IdentityRef) => `${r.kind}:${r.id}`;

/** Connected components of the identities under the links, as a map from identity key to component number. */
export function components(identities: readonly IdentityRef[], links: readonly Link[]): Map<string, number> {
  const parent = new Map<string, string>();
  const find = (k: string): string => {
    let root = k;
    while (parent.get(root) !== root) root = parent.get(root) as string;
    let node = k;
    while (node !== root) {
      const next = parent.get(node) as string;
      parent.set(node, root);
      node = next;
    }
    return root;
  };
  for (const i of identities) parent.set(refKey(i), refKey(i));
  for (const l of links) {
    for (const r of [l.a, l.b]) if (!parent.has(refKey(r))) parent.set(refKey(r), refKey(r));
    const [ra, rb] = [find(refKey(l.a)), find(refKey(l.b))];
    if (ra !== rb) parent.set(ra < rb ? rb : ra, ra < rb ? ra : rb);
  }
  const numbers = new Map<string, number>();
  const out = new Map<string, number>();
  for (const k of parent.keys()) {
    const root = find(k);
    if (!numbers.has(root)) numbers.set(root, numbers.size);
    out.set(k, numbers.get(root) as number);
  }
  return out;
}

/** The person id of a set of identities: from its first-seen user id, else its first-seen anonymous id. */
export function personIdOf(projectId: string, members: readonly Identity[]): string {
  const order = (a: Identity, b: Identity) => a.firstSeenMs - b.firstSeenMs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  const users = members.filter((m) => m.kind === 'user').sort(order);
  const root = users[0] ?? [...members].sort(order)[0];
  if (!root) throw new Error('a person has at least one identity');
  return stableId('p', projectId, root.kind, root.id);
}

/** Whether a proposed link joins, changes nothing, or is refused (and why). */
export function decideLink(
  a: IdentityRef,
  b: IdentityRef,
  component: (r: IdentityRef) => number | undefined,
  hasUser: (componentNumber: number) => boolean,
  operator: boolean,
): LinkDecision {
  if (!isLinkableId(a.id) || !isLinkableId(b.id)) return { kind: 'refuse', reason: 'placeholder_id' };
  if (a.kind === b.kind && a.id === b.id) return { kind: 'refuse', reason: 'self_link' };
  const [ca, cb] = [component(a), component(b)];
  if (ca !== undefined && ca === cb) return { kind: 'noop' };
  const userA = ca === undefined ? a.kind === 'user' : hasUser(ca);
  const userB = cb === undefined ? b.kind === 'user' : hasUser(cb);
  if (userA && userB && !operator) return { kind: 'refuse', reason: 'would_merge_identified_users' };
  return { kind: 'link' };
}

/** The links an event asks for: identify, alias, or any event carrying both ids. */
export function proposedLinks(
  event: { type: string; userId?: string; anonymousId?: string; previousId?: string },
  isKnownUser: (id: string) => boolean,
): { a: IdentityRef; b: IdentityRef; rule: LinkRule }[] {
  if (event.type === 'alias' && event.previousId !== undefined && event.userId !== undefined) {
    // previousId is whatever the client called the person before: a user id when braid knows it as one.
    // A self-alias (previousId = userId) names the user itself, and is refused as a self-link.
    const previousIsUser = isKnownUser(event.previousId) || event.previousId === event.userId;
    const previous: IdentityRef = { kind: previousIsUser ? 'user' : 'anonymous', id: event.previousId };
    const links = [{ a: previous, b: { kind: 'user' as const, id: event.userId }, rule: 'alias' as const }];
    if (event.anonymousId !== undefined && event.anonymousId !== event.previousId) {
      links.push({ a: { kind: 'anonymous', id: event.anonymousId }, b: { kind: 'user', id: event.userId }, rule: 'alias' });
    }
    return links;
  }
  if (event.userId !== undefined && event.anonymousId !== undefined) {
    return [{ a: { kind: 'anonymous', id: event.anonymousId }, b: { kind: 'user', id: event.userId }, rule: event.type === 'identify' ? 'identify' : 'event_both_ids' }];
  }
  return [];
}
