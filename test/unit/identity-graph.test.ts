import { describe, expect, it } from 'vitest';
import { components, decideLink, personIdOf, proposedLinks, refKey, type Identity, type IdentityRef, type Link } from '../../rules/identity-graph';
import { stableId } from '../../rules/stable-id';

const user = (id: string): IdentityRef => ({ kind: 'user', id });
const anon = (id: string): IdentityRef => ({ kind: 'anonymous', id });
const link = (a: IdentityRef, b: IdentityRef, n = 0): Link => ({ linkId: `mg_${n}`, a, b });

/** A small graph: decide a proposal against its current components. */
function decide(identities: IdentityRef[], links: Link[], a: IdentityRef, b: IdentityRef, operator = false) {
  const comp = components(identities, links);
  const users = new Set(identities.filter((i) => i.kind === 'user').map((i) => comp.get(refKey(i))));
  return decideLink(a, b, (r) => comp.get(refKey(r)), (n) => users.has(n), operator);
}

describe('decideLink', () => {
  it.each([
    { label: 'an anonymous id joins a user', ids: [anon('a1'), user('u1')], links: [], a: anon('a1'), b: user('u1'), expected: { kind: 'link' } },
    { label: 'a new anonymous id joins a known user', ids: [user('u1')], links: [], a: anon('a-new'), b: user('u1'), expected: { kind: 'link' } },
    { label: 'an anonymous person with several ids joins a user', ids: [anon('a1'), anon('a2'), user('u1')], links: [link(anon('a1'), anon('a2'))], a: anon('a2'), b: user('u1'), expected: { kind: 'link' } },
    { label: 'already one person', ids: [anon('a1'), user('u1')], links: [link(anon('a1'), user('u1'))], a: anon('a1'), b: user('u1'), expected: { kind: 'noop' } },
    { label: 'two identified users (shared device)', ids: [anon('a1'), user('u1'), user('u2')], links: [link(anon('a1'), user('u1'))], a: anon('a1'), b: user('u2'), expected: { kind: 'refuse', reason: 'would_merge_identified_users' } },
    { label: 'two user ids directly (alias between users)', ids: [user('u1'), user('u2')], links: [], a: user('u1'), b: user('u2'), expected: { kind: 'refuse', reason: 'would_merge_identified_users' } },
    { label: 'a self-link', ids: [user('u1')], links: [], a: user('u1'), b: user('u1'), expected: { kind: 'refuse', reason: 'self_link' } },
    { label: 'user x and anonymous x are different identities', ids: [], links: [], a: anon('x'), b: user('x'), expected: { kind: 'link' } },
    ...['anonymous', 'guest', 'null', 'undefined', '0', 'NaN', '[object Object]', 'true', 'false', '"null"', "'guest'", '', '   '].map((id) => ({
      label: `placeholder id ${JSON.stringify(id)}`,
      ids: [user('u1')],
      links: [],
      a: anon(id),
      b: user('u1'),
      expected: { kind: 'refuse', reason: 'placeholder_id' },
    })),
  ])('$label', ({ ids, links, a, b, expected }) => {
    expect(decide(ids, links, a, b)).toEqual(expected);
  });

  it('an operator may join two identified users', () => {
    expect(decide([user('u1'), user('u2')], [], user('u1'), user('u2'), true)).toEqual({ kind: 'link' });
  });

  it('an operator may still not link a placeholder', () => {
    expect(decide([user('u1')], [], user('null'), user('u1'), true)).toEqual({ kind: 'refuse', reason: 'placeholder_id' });
  });
});

describe('components', () => {
  it('groups identities joined by links, whatever the order of the links', () => {
    const ids = [anon('a'), anon('b'), user('u'), anon('c'), user('v')];
    const links = [link(anon('a'), user('u'), 1), link(anon('b'), user('u'), 2)];
    for (const order of [links, [...links].reverse()]) {
      const comp = components(ids, order);
      expect(comp.get('anonymous:a')).toBe(comp.get('user:u'));
      expect(comp.get('anonymous:b')).toBe(comp.get('user:u'));
      expect(comp.get('anonymous:c')).not.toBe(comp.get('user:u'));
      expect(comp.get('user:v')).not.toBe(comp.get('anonymous:c'));
    }
  });

  it('handles 10,000 anonymous ids of one person', () => {
    const ids = [user('u'), ...Array.from({ length: 10_000 }, (_, i) => anon(`a${i}`))];
    const links = Array.from({ length: 10_000 }, (_, i) => link(anon(`a${i}`), user('u'), i));
    const comp = components(ids, links);
    expect(new Set(comp.values()).size).toBe(1);
  });

  it('a cycle of links is one component', () => {
    const comp = components([], [link(anon('a'), user('u')), link(user('u'), anon('b')), link(anon('b'), anon('a'))]);
    expect(new Set(comp.values()).size).toBe(1);
  });
});

describe('personIdOf', () => {
  const at = (ref: IdentityRef, firstSeenMs: number): Identity => ({ ...ref, firstSeenMs });
  it.each([
    { label: 'the first-seen user id decides', members: [at(anon('a'), 1), at(user('u2'), 5), at(user('u1'), 3)], root: user('u1') },
    { label: 'users win over earlier anonymous ids', members: [at(anon('a'), 1), at(user('u'), 9)], root: user('u') },
    { label: 'an anonymous-only person: the first-seen anonymous id', members: [at(anon('b'), 2), at(anon('a'), 4)], root: anon('b') },
    { label: 'ties break on the id', members: [at(user('b'), 1), at(user('a'), 1)], root: user('a') },
  ])('$label', ({ members, root }) => {
    expect(personIdOf('proj', members)).toBe(stableId('p', 'proj', root.kind, root.id));
  });

  it('does not depend on the order of members', () => {
    const members = [at(anon('a'), 1), at(user('u2'), 5), at(user('u1'), 3)];
    expect(personIdOf('p', members)).toBe(personIdOf('p', [...members].reverse()));
  });

  it('refuses an empty person', () => {
    expect(() => personIdOf('p', [])).toThrow(/at least one identity/);
  });
});

describe('proposedLinks', () => {
  const none = () => false;
  it.each([
    { label: 'identify links anonymous to user', event: { type: 'identify', userId: 'u', anonymousId: 'a' }, known: none, expected: [{ a: anon('a'), b: user('u'), rule: 'identify' }] },
    { label: 'any event with both ids links them', event: { type: 'track', userId: 'u', anonymousId: 'a' }, known: none, expected: [{ a: anon('a'), b: user('u'), rule: 'event_both_ids' }] },
    { label: 'an event with one id links nothing', event: { type: 'track', anonymousId: 'a' }, known: none, expected: [] },
    { label: 'identify without anonymousId links nothing', event: { type: 'identify', userId: 'u' }, known: none, expected: [] },
    { label: 'alias from an anonymous previousId', event: { type: 'alias', previousId: 'a', userId: 'u' }, known: none, expected: [{ a: anon('a'), b: user('u'), rule: 'alias' }] },
    { label: 'alias from a known user id', event: { type: 'alias', previousId: 'old', userId: 'u' }, known: (id: string) => id === 'old', expected: [{ a: user('old'), b: user('u'), rule: 'alias' }] },
    { label: 'a self-alias names the user twice (then refused)', event: { type: 'alias', previousId: 'u', userId: 'u' }, known: none, expected: [{ a: user('u'), b: user('u'), rule: 'alias' }] },
    {
      label: 'alias with its own anonymousId links that too',
      event: { type: 'alias', previousId: 'a', userId: 'u', anonymousId: 'a2' },
      known: none,
      expected: [
        { a: anon('a'), b: user('u'), rule: 'alias' },
        { a: anon('a2'), b: user('u'), rule: 'alias' },
      ],
    },
  ])('$label', ({ event, known, expected }) => {
    expect(proposedLinks(event, known)).toEqual(expected);
  });
});
