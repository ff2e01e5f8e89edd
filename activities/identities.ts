import type pg from 'pg';
import { decideAll, ensureIdentities, loadSlice, lockProjectGraph, personsOf, settleSlice, storeLinks } from '../db/identity-graph';
import { isLinkableId } from '../rules/identifiers';
import { proposedLinks, refKey, type IdentityRef, type LinkRule } from '../rules/identity-graph';
import type { CanonicalDraft } from './canonical-events.types';

/**
 * Updates the identity graph for written events, in their transaction: every
 * real id becomes an identity, and identify, alias and events carrying both
 * ids propose links, decided by the graph's rules (rules/identity-graph.ts)
 * and recorded with their cause. When every proposed link is already in place
 * (the common case) no lock is taken; otherwise the project's graph lock
 * serializes the change, so concurrent sessions never lose a link or deadlock.
 */
export async function linkIdentities(client: pg.PoolClient, events: readonly CanonicalDraft[]): Promise<void> {
  const byProject = new Map<string, CanonicalDraft[]>();
  for (const e of events) byProject.set(e.projectId, [...(byProject.get(e.projectId) ?? []), e]);
  for (const [projectId, list] of byProject) await linkProjectIdentities(client, projectId, list);
}

async function linkProjectIdentities(client: pg.PoolClient, projectId: string, events: CanonicalDraft[]): Promise<void> {
  const ordered = [...events].sort((a, b) => (a.eventTime < b.eventTime ? -1 : a.eventTime > b.eventTime ? 1 : 0));
  const refs: IdentityRef[] = [];
  for (const e of ordered) {
    if (e.userId !== undefined && isLinkableId(e.userId)) refs.push({ kind: 'user', id: e.userId });
    if (e.anonymousId !== undefined && isLinkableId(e.anonymousId)) refs.push({ kind: 'anonymous', id: e.anonymousId });
  }
  const previousIds = ordered.flatMap((e) => (e.type === 'alias' && e.previousId !== undefined ? [e.previousId] : []));
  const knownUsers = new Set(refs.filter((r) => r.kind === 'user').map((r) => r.id));
  if (previousIds.length > 0) {
    const known = await personsOf(client, projectId, previousIds.map((id) => ({ kind: 'user', id })));
    for (const key of known.keys()) knownUsers.add(key.slice('user:'.length));
  }
  const proposals = ordered.flatMap((e) =>
    proposedLinks(e, (id) => knownUsers.has(id)).map((p) => ({ ...p, eventId: e.messageId as string | null, rule: p.rule as LinkRule })),
  );
  const endpoints = proposals.flatMap((p) => [p.a, p.b]).filter((r) => isLinkableId(r.id));
  await ensureIdentities(client, projectId, [...refs, ...endpoints]);
  if (proposals.length === 0) return;

  // Placeholder ids and self-links are refused by rule alone: record that (once per pair) without the lock.
  const byRuleAlone = proposals.filter((p) => !isLinkableId(p.a.id) || !isLinkableId(p.b.id) || refKey(p.a) === refKey(p.b));
  if (byRuleAlone.length > 0) await storeLinks(client, projectId, decideAll({ projectId, identities: new Map(), links: [] }, byRuleAlone));
  const real = proposals.filter((p) => !byRuleAlone.includes(p));
  if (real.length === 0) return;

  const settled = (persons: Map<string, string>) =>
    real.every((p) => {
      const [pa, pb] = [persons.get(refKey(p.a)), persons.get(refKey(p.b))];
      return pa !== undefined && pa === pb;
    });
  if (settled(await personsOf(client, projectId, endpoints))) return;

  await lockProjectGraph(client, projectId);
  const persons = await personsOf(client, projectId, endpoints);
  const slice = await loadSlice(client, projectId, [...persons.values()]);
  const records = decideAll(slice, real);
  await storeLinks(client, projectId, records);
  if (records.some((r) => r.decision.kind === 'link')) await settleSlice(client, slice);
}
