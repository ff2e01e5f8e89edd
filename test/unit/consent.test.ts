import { describe, expect, it } from 'vitest';
import {
  decideConsent,
  readConsent,
  requiredCategory,
  stateAt,
  type ConsentDecision,
  type ConsentMode,
  type ConsentRecord,
} from '../../rules/consent';

// Times of one session, as event times in ms.
const T0 = Date.parse('2024-05-01T10:00:00.000Z');
const SEC = 1_000;
const MIN = 60 * SEC;
const HOLD = 10 * MIN; // the contract's default hold window

const rec = (granted: boolean, effectiveAtMs: number, category = 'analytics'): ConsentRecord => ({ category, granted, effectiveAtMs });
const grant = (at: number, category?: string) => rec(true, at, category);
const deny = (at: number, category?: string) => rec(false, at, category);

const ALLOW: ConsentDecision = { kind: 'allow' };
const HOLDING: ConsentDecision = { kind: 'hold' };
const DENIED: ConsentDecision = { kind: 'suppress', reason: 'consent_denied' };
const NOT_GIVEN: ConsentDecision = { kind: 'suppress', reason: 'consent_not_given' };

/** Every ordering of a small list (arrival order must not matter). */
function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
}

/** A deterministic shuffle (mulberry32), for lists too long to permute fully. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  let s = seed >>> 0;
  const random = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let x = s;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

const sortedFlags = (flags: readonly string[]) => [...flags].sort();

describe('readConsent', () => {
  interface Case {
    label: string;
    context: Record<string, unknown>;
    categories: Record<string, boolean>;
    flags: string[];
  }

  describe('Segment form: context.consent.categoryPreferences', () => {
    it.each<Case>([
      {
        label: 'plain booleans',
        context: { consent: { categoryPreferences: { analytics: true, advertising: false } } },
        categories: { analytics: true, advertising: false },
        flags: [],
      },
      {
        label: 'keys are case-insensitive (lower-cased)',
        context: { consent: { categoryPreferences: { Analytics: true, ADVERTISING: false, FunctionalCookies: true } } },
        categories: { analytics: true, advertising: false, functionalcookies: true },
        flags: [],
      },
      {
        label: 'keys are trimmed',
        context: { consent: { categoryPreferences: { '  Analytics ': true, '\tads\n': false } } },
        categories: { analytics: true, ads: false },
        flags: [],
      },
      {
        label: 'the same category in two spellings, grant then deny: deny wins',
        context: { consent: { categoryPreferences: { Analytics: true, analytics: false } } },
        categories: { analytics: false },
        flags: [],
      },
      {
        label: 'the same category in two spellings, deny then grant: deny wins',
        context: { consent: { categoryPreferences: { ANALYTICS: false, ' analytics ': true } } },
        categories: { analytics: false },
        flags: [],
      },
      {
        label: 'the same category granted twice',
        context: { consent: { categoryPreferences: { Analytics: true, analytics: true } } },
        categories: { analytics: true },
        flags: [],
      },
      {
        label: 'string "true" is ignored and flagged',
        context: { consent: { categoryPreferences: { analytics: 'true' } } },
        categories: {},
        flags: ['consent_value_ignored:analytics'],
      },
      {
        label: 'string "false" is ignored and flagged (not read as a denial)',
        context: { consent: { categoryPreferences: { analytics: 'false' } } },
        categories: {},
        flags: ['consent_value_ignored:analytics'],
      },
      {
        label: 'number 1 is ignored and flagged',
        context: { consent: { categoryPreferences: { analytics: 1 } } },
        categories: {},
        flags: ['consent_value_ignored:analytics'],
      },
      {
        label: 'number 0 is ignored and flagged',
        context: { consent: { categoryPreferences: { analytics: 0 } } },
        categories: {},
        flags: ['consent_value_ignored:analytics'],
      },
      {
        label: 'null is ignored and flagged',
        context: { consent: { categoryPreferences: { analytics: null } } },
        categories: {},
        flags: ['consent_value_ignored:analytics'],
      },
      {
        label: 'undefined is ignored and flagged',
        context: { consent: { categoryPreferences: { analytics: undefined } } },
        categories: {},
        flags: ['consent_value_ignored:analytics'],
      },
      {
        label: 'an object or array value is ignored and flagged',
        context: { consent: { categoryPreferences: { analytics: { granted: true }, ads: [false] } } },
        categories: {},
        flags: ['consent_value_ignored:analytics', 'consent_value_ignored:ads'],
      },
      {
        label: 'the flag names the normalized category',
        context: { consent: { categoryPreferences: { '  Marketing ': 'yes' } } },
        categories: {},
        flags: ['consent_value_ignored:marketing'],
      },
      {
        label: 'a bad value next to good ones: the good ones are kept',
        context: { consent: { categoryPreferences: { analytics: true, advertising: false, marketing: 'no' } } },
        categories: { analytics: true, advertising: false },
        flags: ['consent_value_ignored:marketing'],
      },
      {
        label: 'a bad value does not cancel a boolean for the same category',
        context: { consent: { categoryPreferences: { Analytics: 'false', analytics: true } } },
        categories: { analytics: true },
        flags: ['consent_value_ignored:analytics'],
      },
      {
        label: 'the same bad category twice is flagged once',
        context: { consent: { categoryPreferences: { Ads: 1, ads: 'x' } } },
        categories: {},
        flags: ['consent_value_ignored:ads'],
      },
      {
        label: 'unknown categories are kept as they are',
        context: { consent: { categoryPreferences: { C0004: false, 'social-media': true, sale_of_data: false } } },
        categories: { c0004: false, 'social-media': true, sale_of_data: false },
        flags: [],
      },
      {
        label: 'empty preferences object',
        context: { consent: { categoryPreferences: {} } },
        categories: {},
        flags: [],
      },
      {
        label: 'consent without categoryPreferences',
        context: { consent: {} },
        categories: {},
        flags: [],
      },
      {
        label: 'preferences as an array instead of an object',
        context: { consent: { categoryPreferences: [{ analytics: true }] } },
        categories: {},
        flags: ['consent_preferences_ignored'],
      },
      {
        label: 'preferences as null',
        context: { consent: { categoryPreferences: null } },
        categories: {},
        flags: ['consent_preferences_ignored'],
      },
      {
        label: 'preferences as a string',
        context: { consent: { categoryPreferences: 'analytics' } },
        categories: {},
        flags: ['consent_preferences_ignored'],
      },
      {
        label: 'preferences as a boolean',
        context: { consent: { categoryPreferences: true } },
        categories: {},
        flags: ['consent_preferences_ignored'],
      },
    ])('$label', ({ context, categories, flags }) => {
      const reading = readConsent(context);
      expect(reading.categories).toStrictEqual(categories);
      expect(sortedFlags(reading.flags)).toEqual(sortedFlags(flags));
    });
  });

  describe('RudderStack form: context.consentManagement', () => {
    it.each<Case>([
      {
        label: 'deniedConsentIds',
        context: { consentManagement: { deniedConsentIds: ['analytics', 'advertising'] } },
        categories: { analytics: false, advertising: false },
        flags: [],
      },
      {
        label: 'allowedConsentIds',
        context: { consentManagement: { allowedConsentIds: ['analytics'] } },
        categories: { analytics: true },
        flags: [],
      },
      {
        label: 'ids are trimmed and lower-cased',
        context: { consentManagement: { allowedConsentIds: [' Analytics '], deniedConsentIds: ['ADS'] } },
        categories: { analytics: true, ads: false },
        flags: [],
      },
      {
        label: 'an id both allowed and denied: deny wins',
        context: { consentManagement: { allowedConsentIds: ['analytics', 'ads'], deniedConsentIds: ['Ads'] } },
        categories: { analytics: true, ads: false },
        flags: [],
      },
      {
        label: 'a full RudderStack payload with provider ids (unknown categories kept)',
        context: {
          consentManagement: { provider: 'oneTrust', resolutionStrategy: 'and', allowedConsentIds: ['C0001', 'C0002'], deniedConsentIds: ['C0004'] },
        },
        categories: { c0001: true, c0002: true, c0004: false },
        flags: [],
      },
      {
        label: 'empty arrays',
        context: { consentManagement: { allowedConsentIds: [], deniedConsentIds: [] } },
        categories: {},
        flags: [],
      },
      {
        label: 'empty consentManagement object',
        context: { consentManagement: {} },
        categories: {},
        flags: [],
      },
      {
        label: 'deniedConsentIds as a string instead of an array',
        context: { consentManagement: { deniedConsentIds: 'analytics' } },
        categories: {},
        flags: ['consent_deniedConsentIds_ignored'],
      },
      {
        label: 'deniedConsentIds as null',
        context: { consentManagement: { deniedConsentIds: null } },
        categories: {},
        flags: ['consent_deniedConsentIds_ignored'],
      },
      {
        label: 'allowedConsentIds as an object instead of an array',
        context: { consentManagement: { allowedConsentIds: { analytics: true } } },
        categories: {},
        flags: ['consent_allowedConsentIds_ignored'],
      },
      {
        label: 'one field broken, the other still read',
        context: { consentManagement: { allowedConsentIds: 'analytics', deniedConsentIds: ['ads'] } },
        categories: { ads: false },
        flags: ['consent_allowedConsentIds_ignored'],
      },
      {
        label: 'non-string ids are ignored and flagged once; string ids kept',
        context: { consentManagement: { deniedConsentIds: [1, null, { id: 'x' }, ['y'], true, 'ads'] } },
        categories: { ads: false },
        flags: ['consent_id_ignored'],
      },
      {
        label: 'empty and blank ids are ignored and flagged',
        context: { consentManagement: { allowedConsentIds: ['', '   ', 'analytics'] } },
        categories: { analytics: true },
        flags: ['consent_id_ignored'],
      },
      {
        label: 'consentManagement as an array instead of an object',
        context: { consentManagement: [{ deniedConsentIds: ['analytics'] }] },
        categories: {},
        flags: ['consent_management_ignored'],
      },
      {
        label: 'consentManagement as a string',
        context: { consentManagement: 'denied' },
        categories: {},
        flags: ['consent_management_ignored'],
      },
      {
        label: 'consentManagement as null',
        context: { consentManagement: null },
        categories: {},
        flags: ['consent_management_ignored'],
      },
    ])('$label', ({ context, categories, flags }) => {
      const reading = readConsent(context);
      expect(reading.categories).toStrictEqual(categories);
      expect(sortedFlags(reading.flags)).toEqual(sortedFlags(flags));
    });
  });

  describe('both forms in one event (deny wins, then either grant)', () => {
    it.each<Case>([
      {
        label: 'Segment grants, RudderStack denies: denied',
        context: { consent: { categoryPreferences: { analytics: true } }, consentManagement: { deniedConsentIds: ['analytics'] } },
        categories: { analytics: false },
        flags: [],
      },
      {
        label: 'Segment denies, RudderStack allows: denied',
        context: { consent: { categoryPreferences: { analytics: false } }, consentManagement: { allowedConsentIds: ['analytics'] } },
        categories: { analytics: false },
        flags: [],
      },
      {
        label: 'case differs across the forms: still one category, denied',
        context: { consent: { categoryPreferences: { Analytics: true } }, consentManagement: { deniedConsentIds: [' ANALYTICS '] } },
        categories: { analytics: false },
        flags: [],
      },
      {
        label: 'different categories from each form are merged',
        context: { consent: { categoryPreferences: { analytics: true } }, consentManagement: { allowedConsentIds: ['advertising'], deniedConsentIds: ['marketing'] } },
        categories: { analytics: true, advertising: true, marketing: false },
        flags: [],
      },
      {
        label: 'a grant from either form when the other says nothing about it',
        context: { consent: { categoryPreferences: { ads: false } }, consentManagement: { allowedConsentIds: ['analytics'] } },
        categories: { analytics: true, ads: false },
        flags: [],
      },
      {
        label: 'a bad Segment value, a RudderStack grant: granted and flagged',
        context: { consent: { categoryPreferences: { analytics: 'true' } }, consentManagement: { allowedConsentIds: ['analytics'] } },
        categories: { analytics: true },
        flags: ['consent_value_ignored:analytics'],
      },
      {
        label: 'a bad Segment value, a RudderStack denial: denied and flagged',
        context: { consent: { categoryPreferences: { analytics: 1 } }, consentManagement: { deniedConsentIds: ['analytics'] } },
        categories: { analytics: false },
        flags: ['consent_value_ignored:analytics'],
      },
      {
        label: 'both forms broken: both flagged, nothing read',
        context: { consent: { categoryPreferences: [] }, consentManagement: [] },
        categories: {},
        flags: ['consent_preferences_ignored', 'consent_management_ignored'],
      },
      {
        label: 'every kind of flag at once',
        context: {
          consent: { categoryPreferences: { analytics: true, ads: 'no' } },
          consentManagement: { deniedConsentIds: 'ads', allowedConsentIds: [7, 'marketing'] },
        },
        categories: { analytics: true, marketing: true },
        flags: ['consent_value_ignored:ads', 'consent_deniedConsentIds_ignored', 'consent_id_ignored'],
      },
    ])('$label', ({ context, categories, flags }) => {
      const reading = readConsent(context);
      expect(reading.categories).toStrictEqual(categories);
      expect(sortedFlags(reading.flags)).toEqual(sortedFlags(flags));
    });

    it('deny wins whatever the order of the preference keys and ids', () => {
      const prefs: [string, boolean][] = [['Analytics', true], ['analytics', false], ['ADS', true]];
      const ids = ['ads', 'Analytics'];
      for (const order of permutations(prefs))
        for (const idOrder of permutations(ids)) {
          const reading = readConsent({
            consent: { categoryPreferences: Object.fromEntries(order) },
            consentManagement: { allowedConsentIds: idOrder, deniedConsentIds: ['ADS'] },
          });
          expect(reading.categories).toStrictEqual({ analytics: false, ads: false });
        }
    });
  });

  describe('no consent in the event', () => {
    it.each<{ label: string; context: Record<string, unknown> }>([
      { label: 'empty context', context: {} },
      { label: 'unrelated context fields', context: { ip: '203.0.113.9', locale: 'en-US', traits: { analytics: true } } },
      { label: 'consent undefined', context: { consent: undefined, consentManagement: undefined } },
    ])('$label: no categories, no flags', ({ context }) => {
      expect(readConsent(context)).toStrictEqual({ categories: {}, flags: [] });
    });

    it.each<{ label: string; context: Record<string, unknown> }>([
      { label: 'consent as an array', context: { consent: [{ categoryPreferences: { analytics: false } }] } },
      { label: 'consent as null', context: { consent: null } },
      { label: 'consent as a string', context: { consent: 'analytics' } },
      { label: 'categoryPreferences at the wrong level', context: { categoryPreferences: { analytics: false } } },
    ])('$label: nothing is read', ({ context }) => {
      expect(readConsent(context).categories).toStrictEqual({});
    });

    it('a blank preference key never becomes a category', () => {
      const reading = readConsent({ consent: { categoryPreferences: { '': false, '   ': true, analytics: true } } });
      expect(reading.categories).toStrictEqual({ analytics: true });
    });
  });

  it('does not modify the context it reads', () => {
    const context = {
      consent: { categoryPreferences: { ' Analytics ': true, Ads: 'no' } },
      consentManagement: { deniedConsentIds: ['ADS', 3], allowedConsentIds: [' Marketing'] },
    };
    const before = structuredClone(context);
    readConsent(context);
    expect(context).toStrictEqual(before);
  });
});

describe('requiredCategory', () => {
  const requirements = { default: 'analytics', events: { 'Order Completed': 'billing', 'Ad Clicked': 'advertising' } };

  it.each([
    { label: 'an event with an override', eventName: 'Order Completed', expected: 'billing' },
    { label: 'another event with an override', eventName: 'Ad Clicked', expected: 'advertising' },
    { label: 'an event without an override', eventName: 'Product Viewed', expected: 'analytics' },
    { label: 'no event name (identify, alias, group)', eventName: undefined, expected: 'analytics' },
    { label: 'an empty event name', eventName: '', expected: 'analytics' },
  ])('$label → $expected', ({ eventName, expected }) => {
    expect(requiredCategory(requirements, eventName)).toBe(expected);
  });

  it.each<{ label: string; requirements: { default: string; events: Record<string, string> }; eventName: string; expected: string }>([
    { label: 'the contract default', requirements: { default: 'analytics', events: {} }, eventName: 'Order Completed', expected: 'analytics' },
    { label: 'a project default other than analytics', requirements: { default: 'marketing', events: {} }, eventName: 'Order Completed', expected: 'marketing' },
    { label: 'an override beats a non-default project default', requirements: { default: 'marketing', events: { 'Order Completed': 'billing' } }, eventName: 'Order Completed', expected: 'billing' },
    { label: 'a page/screen name is looked up like an event name', requirements: { default: 'analytics', events: { Checkout: 'billing' } }, eventName: 'Checkout', expected: 'billing' },
  ])('$label → $expected', ({ requirements: r, eventName, expected }) => {
    expect(requiredCategory(r, eventName)).toBe(expected);
  });

  // Project settings come back from Postgres jsonb as plain JSON objects, and
  // with namingConvention "any" an event may be called anything. An event name
  // that is an Object.prototype member must still get the project default: a
  // function (or an object) as the "category" matches no consent record, so an
  // opt-out project would write the event even for a person who denied consent.
  it.each(['constructor', 'toString', 'valueOf', 'hasOwnProperty', '__proto__'])(
    'an event named %s without an override gets the default category',
    (eventName) => {
      const fromDatabase = JSON.parse('{"default":"analytics","events":{"Order Completed":"billing"}}') as { default: string; events: Record<string, string> };
      expect(requiredCategory(fromDatabase, eventName)).toBe('analytics');
    },
  );
});

describe('stateAt', () => {
  interface Case {
    label: string;
    records: ConsentRecord[];
    category?: string;
    t: number;
    expected: boolean | null;
  }

  const cases: Case[] = [
    { label: 'no records: unknown', records: [], t: T0, expected: null },
    { label: 'a grant before t', records: [grant(T0 - MIN)], t: T0, expected: true },
    { label: 'a denial before t', records: [deny(T0 - MIN)], t: T0, expected: false },
    { label: 'a grant exactly at t counts', records: [grant(T0)], t: T0, expected: true },
    { label: 'a denial exactly at t counts', records: [deny(T0)], t: T0, expected: false },
    { label: 'a grant 1 ms after t is in the future: unknown', records: [grant(T0 + 1)], t: T0, expected: null },
    { label: 'only future records: unknown', records: [grant(T0 + MIN), deny(T0 + 2 * MIN)], t: T0, expected: null },
    { label: 'the latest at or before t wins: grant then deny', records: [grant(T0 - 2 * MIN), deny(T0 - MIN)], t: T0, expected: false },
    { label: 'the latest at or before t wins: deny then grant', records: [deny(T0 - 2 * MIN), grant(T0 - MIN)], t: T0, expected: true },
    { label: 'a later denial in the future is ignored', records: [grant(T0 - MIN), deny(T0 + MIN)], t: T0, expected: true },
    { label: 'a later grant in the future is ignored', records: [deny(T0 - MIN), grant(T0 + 1)], t: T0, expected: false },
    { label: 'tie between grant and deny: deny wins', records: [grant(T0 - MIN), deny(T0 - MIN)], t: T0, expected: false },
    { label: 'tie exactly at t: deny wins', records: [grant(T0), deny(T0)], t: T0, expected: false },
    { label: 'tie with duplicates of both: deny wins', records: [grant(T0), grant(T0), deny(T0), grant(T0)], t: T0, expected: false },
    { label: 'a tie is overtaken by a later grant', records: [grant(T0 - MIN), deny(T0 - MIN), grant(T0 - SEC)], t: T0, expected: true },
    { label: 'duplicate grants', records: [grant(T0 - MIN), grant(T0 - MIN)], t: T0, expected: true },
    { label: 'other categories are ignored', records: [grant(T0 - 2 * MIN), deny(T0 - MIN, 'advertising'), deny(T0 - SEC, 'marketing')], t: T0, expected: true },
    { label: 'only other categories: unknown', records: [deny(T0 - MIN, 'advertising'), grant(T0 - MIN, 'marketing')], t: T0, expected: null },
    { label: 'asking for another category', records: [grant(T0 - MIN), deny(T0 - SEC, 'advertising')], category: 'advertising', t: T0, expected: false },
    { label: 'the category name must match exactly', records: [deny(T0 - MIN, 'analytics_extra'), deny(T0 - MIN, 'analytic')], t: T0, expected: null },
    {
      label: 'grant, revoke, grant again: in the middle',
      records: [grant(T0), deny(T0 + 5 * MIN), grant(T0 + 10 * MIN)],
      t: T0 + 7 * MIN,
      expected: false,
    },
    {
      label: 'grant, revoke, grant again: after the second grant',
      records: [grant(T0), deny(T0 + 5 * MIN), grant(T0 + 10 * MIN)],
      t: T0 + 10 * MIN,
      expected: true,
    },
    { label: 'time zero and negative times are ordinary times', records: [deny(-5), grant(0)], t: 0, expected: true },
  ];

  it.each(cases)('$label → $expected', ({ records, category, t, expected }) => {
    expect(stateAt(records, category ?? 'analytics', t)).toBe(expected);
  });

  it.each(cases.filter((c) => c.records.length > 1))('$label: every arrival order gives $expected', ({ records, category, t, expected }) => {
    const results = new Set(permutations(records).map((order) => stateAt(order, category ?? 'analytics', t)));
    expect([...results]).toEqual([expected]);
  });

  it('a long history in random arrival orders gives the same state at every time', () => {
    const history = [
      grant(T0),
      deny(T0 + MIN, 'advertising'),
      deny(T0 + 2 * MIN),
      grant(T0 + 2 * MIN),
      grant(T0 + 3 * MIN, 'advertising'),
      grant(T0 + 4 * MIN),
      deny(T0 + 6 * MIN),
      deny(T0 + 6 * MIN),
      grant(T0 + 8 * MIN),
      deny(T0 + 8 * MIN, 'marketing'),
    ];
    const probes = [T0 - 1, T0, T0 + MIN, T0 + 2 * MIN, T0 + 3 * MIN, T0 + 4 * MIN, T0 + 5 * MIN, T0 + 6 * MIN, T0 + 8 * MIN - 1, T0 + 8 * MIN, T0 + HOLD];
    const expected = [null, true, true, false, false, true, true, false, false, true, true];
    for (let seed = 1; seed <= 50; seed++) {
      const order = shuffled(history, seed);
      expect(probes.map((t) => stateAt(order, 'analytics', t))).toEqual(expected);
    }
  });
});

describe('decideConsent', () => {
  interface Case {
    label: string;
    records: ConsentRecord[];
    eventTimeMs: number;
    final: boolean;
    expected: ConsentDecision;
    holdMs?: number;
    category?: string;
  }

  const decide = (mode: ConsentMode, c: Case, records: readonly ConsentRecord[] = c.records) =>
    decideConsent({ mode, category: c.category ?? 'analytics', eventTimeMs: c.eventTimeMs, records, holdMs: c.holdMs ?? HOLD, final: c.final });

  // Each row twice where `final` does not matter.
  const both = (row: Omit<Case, 'final'>): Case[] => [
    { ...row, label: `${row.label} (hold running)`, final: false },
    { ...row, label: `${row.label} (hold over)`, final: true },
  ];

  const optOut: Case[] = [
    ...both({ label: 'no consent known at all: allowed', records: [], eventTimeMs: T0, expected: ALLOW }),
    ...both({ label: 'granted before the event', records: [grant(T0 - MIN)], eventTimeMs: T0, expected: ALLOW }),
    ...both({ label: 'denied before the event', records: [deny(T0 - MIN)], eventTimeMs: T0, expected: DENIED }),
    ...both({ label: 'denied exactly at the event time', records: [deny(T0)], eventTimeMs: T0, expected: DENIED }),
    ...both({ label: 'denied 1 ms after the event: not yet', records: [deny(T0 + 1)], eventTimeMs: T0, expected: ALLOW }),
    ...both({ label: 'denied within the hold window after the event: opt-out does not look ahead', records: [deny(T0 + 3 * MIN)], eventTimeMs: T0, expected: ALLOW }),
    ...both({ label: 'granted, then denied after the event', records: [grant(T0 - MIN), deny(T0 + MIN)], eventTimeMs: T0, expected: ALLOW }),
    ...both({ label: 'denied, then granted after the event', records: [deny(T0 - MIN), grant(T0 + MIN)], eventTimeMs: T0, expected: DENIED }),
    ...both({ label: 'denied, then granted again before the event', records: [deny(T0 - 2 * MIN), grant(T0 - MIN)], eventTimeMs: T0, expected: ALLOW }),
    ...both({ label: 'grant and denial at the same time: deny wins', records: [grant(T0 - MIN), deny(T0 - MIN)], eventTimeMs: T0, expected: DENIED }),
    ...both({ label: 'another category denied', records: [deny(T0 - MIN, 'advertising')], eventTimeMs: T0, expected: ALLOW }),
    ...both({ label: 'the required category is denied, another granted', records: [grant(T0 - MIN, 'advertising'), deny(T0 - MIN)], eventTimeMs: T0, expected: DENIED }),
    ...both({ label: 'a non-default required category denied', category: 'advertising', records: [grant(T0 - MIN), deny(T0 - MIN, 'advertising')], eventTimeMs: T0, expected: DENIED }),
    ...both({ label: 'a non-default required category unknown, analytics denied', category: 'advertising', records: [deny(T0 - MIN)], eventTimeMs: T0, expected: ALLOW }),
  ];

  const optIn: Case[] = [
    // Known at the event's time: that state decides.
    ...both({ label: 'granted before the event', records: [grant(T0 - MIN)], eventTimeMs: T0, expected: ALLOW }),
    ...both({ label: 'granted exactly at the event time', records: [grant(T0)], eventTimeMs: T0, expected: ALLOW }),
    ...both({ label: 'denied before the event', records: [deny(T0 - MIN)], eventTimeMs: T0, expected: DENIED }),
    ...both({ label: 'denied exactly at the event time', records: [deny(T0)], eventTimeMs: T0, expected: DENIED }),
    ...both({ label: 'grant and denial at the event time: deny wins', records: [grant(T0), deny(T0)], eventTimeMs: T0, expected: DENIED }),
    ...both({ label: 'granted at the event time, denied later in the window: the state at the event time decides', records: [grant(T0 - MIN), deny(T0 + MIN)], eventTimeMs: T0, expected: ALLOW }),
    ...both({ label: 'denied at the event time, granted later in the window: the state at the event time decides', records: [deny(T0 - MIN), grant(T0 + MIN)], eventTimeMs: T0, expected: DENIED }),
    ...both({ label: 'granted long ago (before any hold window)', records: [grant(T0 - 24 * 60 * MIN)], eventTimeMs: T0, expected: ALLOW }),
    // Unknown at the event's time: the first decision within the hold window after it.
    ...both({ label: 'unknown, granted 3 minutes later', records: [grant(T0 + 3 * MIN)], eventTimeMs: T0, expected: ALLOW }),
    ...both({ label: 'unknown, granted 1 ms later', records: [grant(T0 + 1)], eventTimeMs: T0, expected: ALLOW }),
    ...both({ label: 'unknown, denied 3 minutes later', records: [deny(T0 + 3 * MIN)], eventTimeMs: T0, expected: DENIED }),
    ...both({ label: 'unknown, granted exactly at the window edge', records: [grant(T0 + HOLD)], eventTimeMs: T0, expected: ALLOW }),
    ...both({ label: 'unknown, denied exactly at the window edge', records: [deny(T0 + HOLD)], eventTimeMs: T0, expected: DENIED }),
    { label: 'unknown, granted 1 ms past the window edge (hold running)', records: [grant(T0 + HOLD + 1)], eventTimeMs: T0, final: false, expected: HOLDING },
    { label: 'unknown, granted 1 ms past the window edge (hold over)', records: [grant(T0 + HOLD + 1)], eventTimeMs: T0, final: true, expected: NOT_GIVEN },
    { label: 'unknown, denied 1 ms past the window edge (hold running)', records: [deny(T0 + HOLD + 1)], eventTimeMs: T0, final: false, expected: HOLDING },
    { label: 'unknown, denied 1 ms past the window edge (hold over): not given, not denied', records: [deny(T0 + HOLD + 1)], eventTimeMs: T0, final: true, expected: NOT_GIVEN },
    ...both({ label: 'the first decision in the window wins: grant then deny', records: [grant(T0 + MIN), deny(T0 + 2 * MIN)], eventTimeMs: T0, expected: ALLOW }),
    ...both({ label: 'the first decision in the window wins: deny then grant', records: [deny(T0 + MIN), grant(T0 + 2 * MIN)], eventTimeMs: T0, expected: DENIED }),
    ...both({ label: 'grant and denial at the same later time: deny wins', records: [grant(T0 + MIN), deny(T0 + MIN)], eventTimeMs: T0, expected: DENIED }),
    ...both({ label: 'a grant in the window, a denial past it', records: [grant(T0 + HOLD), deny(T0 + HOLD + 1)], eventTimeMs: T0, expected: ALLOW }),
    ...both({ label: 'a custom hold window of 3 minutes, granted at 2 minutes', holdMs: 3 * MIN, records: [grant(T0 + 2 * MIN)], eventTimeMs: T0, expected: ALLOW }),
    { label: 'a custom hold window of 3 minutes, granted at 5 minutes (hold over)', holdMs: 3 * MIN, records: [grant(T0 + 5 * MIN)], eventTimeMs: T0, final: true, expected: NOT_GIVEN },
    { label: 'a zero hold window, granted 1 ms later (hold over)', holdMs: 0, records: [grant(T0 + 1)], eventTimeMs: T0, final: true, expected: NOT_GIVEN },
    ...both({ label: 'a zero hold window, granted at the event time', holdMs: 0, records: [grant(T0)], eventTimeMs: T0, expected: ALLOW }),
    // Nothing decides.
    { label: 'no records (hold running): held', records: [], eventTimeMs: T0, final: false, expected: HOLDING },
    { label: 'no records (hold over): not given', records: [], eventTimeMs: T0, final: true, expected: NOT_GIVEN },
    { label: 'only other categories decided (hold running): held', records: [grant(T0 - MIN, 'advertising'), deny(T0 + MIN, 'marketing')], eventTimeMs: T0, final: false, expected: HOLDING },
    { label: 'only other categories decided (hold over): not given', records: [grant(T0 - MIN, 'advertising'), grant(T0 + MIN, 'marketing')], eventTimeMs: T0, final: true, expected: NOT_GIVEN },
    ...both({ label: 'a non-default required category granted later in the window', category: 'advertising', records: [deny(T0 + MIN), grant(T0 + 2 * MIN, 'advertising')], eventTimeMs: T0, expected: ALLOW }),
  ];

  describe('opt-out', () => {
    it.each(optOut)('$label', (c) => {
      expect(decide('opt-out', c)).toStrictEqual(c.expected);
    });

    it('never holds, whatever the records', () => {
      for (const c of [...optOut, ...optIn]) expect(decide('opt-out', c).kind).not.toBe('hold');
    });
  });

  describe('opt-in', () => {
    it.each(optIn)('$label', (c) => {
      expect(decide('opt-in', c)).toStrictEqual(c.expected);
    });
  });

  describe('arrival order of the records does not matter', () => {
    const rows = [...optOut.map((c) => ({ mode: 'opt-out' as const, c })), ...optIn.map((c) => ({ mode: 'opt-in' as const, c }))].filter(({ c }) => c.records.length > 1);
    it.each(rows)('$mode: $c.label', ({ mode, c }) => {
      const decisions = permutations(c.records).map((order) => decide(mode, c, order));
      for (const d of decisions) expect(d).toStrictEqual(c.expected);
    });
  });

  describe('an opt-in session whose banner is answered three minutes in', () => {
    const records = [grant(T0 + 3 * MIN)];
    it.each([
      { label: 'a page view 8 minutes before the answer', at: T0 - 5 * MIN, final: false, expected: ALLOW },
      { label: 'the first page view', at: T0, final: false, expected: ALLOW },
      { label: 'a page view just before the answer', at: T0 + 3 * MIN - 1, final: false, expected: ALLOW },
      { label: 'the answer itself', at: T0 + 3 * MIN, final: false, expected: ALLOW },
      { label: 'an event after the answer', at: T0 + 30 * MIN, final: false, expected: ALLOW },
      { label: 'an event exactly one window before the answer', at: T0 + 3 * MIN - HOLD, final: true, expected: ALLOW },
      { label: 'an event 1 ms more than one window before the answer (hold running)', at: T0 + 3 * MIN - HOLD - 1, final: false, expected: HOLDING },
      { label: 'an event 1 ms more than one window before the answer (hold over)', at: T0 + 3 * MIN - HOLD - 1, final: true, expected: NOT_GIVEN },
    ])('$label', ({ at, final, expected }) => {
      expect(decideConsent({ mode: 'opt-in', category: 'analytics', eventTimeMs: at, records, holdMs: HOLD, final })).toStrictEqual(expected);
    });
  });

  describe('a revocation mid-session', () => {
    const records = [grant(T0), deny(T0 + 5 * MIN)];
    const events = [
      { label: 'before the revocation', at: T0 + MIN, expected: ALLOW },
      { label: '1 ms before the revocation', at: T0 + 5 * MIN - 1, expected: ALLOW },
      { label: 'at the revocation', at: T0 + 5 * MIN, expected: DENIED },
      { label: 'after the revocation', at: T0 + 6 * MIN, expected: DENIED },
      { label: 'long after the revocation', at: T0 + 90 * MIN, expected: DENIED },
    ];
    const rows = (['opt-out', 'opt-in'] as const).flatMap((mode) => [false, true].flatMap((final) => events.map((e) => ({ mode, final, ...e }))));
    it.each(rows)('$mode, final=$final: an event $label', ({ mode, final, at, expected }) => {
      for (const order of permutations(records))
        expect(decideConsent({ mode, category: 'analytics', eventTimeMs: at, records: order, holdMs: HOLD, final })).toStrictEqual(expected);
    });

    it('an opt-out revocation without an earlier grant stops writing from its time on', () => {
      const only = [deny(T0 + 5 * MIN)];
      const at = [T0, T0 + 5 * MIN - 1, T0 + 5 * MIN, T0 + 6 * MIN];
      const kinds = at.map((t) => decideConsent({ mode: 'opt-out', category: 'analytics', eventTimeMs: t, records: only, holdMs: HOLD, final: false }));
      expect(kinds).toStrictEqual([ALLOW, ALLOW, DENIED, DENIED]);
    });
  });

  describe('consent granted, revoked, then granted again', () => {
    const records = [grant(T0), deny(T0 + 5 * MIN), grant(T0 + 10 * MIN)];
    const table: { label: string; at: number; final: boolean; optOut: ConsentDecision; optIn: ConsentDecision }[] = [
      { label: 'just before the first grant', at: T0 - MIN, final: false, optOut: ALLOW, optIn: ALLOW },
      { label: 'more than a window before the first grant (hold running)', at: T0 - HOLD - 1, final: false, optOut: ALLOW, optIn: HOLDING },
      { label: 'more than a window before the first grant (hold over)', at: T0 - HOLD - 1, final: true, optOut: ALLOW, optIn: NOT_GIVEN },
      { label: 'at the first grant', at: T0, final: false, optOut: ALLOW, optIn: ALLOW },
      { label: 'while granted', at: T0 + 2 * MIN, final: true, optOut: ALLOW, optIn: ALLOW },
      { label: 'at the revocation', at: T0 + 5 * MIN, final: false, optOut: DENIED, optIn: DENIED },
      { label: 'while revoked (the regrant is within the window but does not matter)', at: T0 + 7 * MIN, final: false, optOut: DENIED, optIn: DENIED },
      { label: '1 ms before the regrant', at: T0 + 10 * MIN - 1, final: true, optOut: DENIED, optIn: DENIED },
      { label: 'at the regrant', at: T0 + 10 * MIN, final: false, optOut: ALLOW, optIn: ALLOW },
      { label: 'after the regrant', at: T0 + 15 * MIN, final: true, optOut: ALLOW, optIn: ALLOW },
    ];
    it.each(table)('an event $label', ({ at, final, optOut: out, optIn: inn }) => {
      for (const order of permutations(records)) {
        expect(decideConsent({ mode: 'opt-out', category: 'analytics', eventTimeMs: at, records: order, holdMs: HOLD, final })).toStrictEqual(out);
        expect(decideConsent({ mode: 'opt-in', category: 'analytics', eventTimeMs: at, records: order, holdMs: HOLD, final })).toStrictEqual(inn);
      }
    });
  });

  it('decisions read from events flow through readConsent into records', () => {
    // A banner answer carried by an event 3 minutes in, in both forms; deny wins.
    const reading = readConsent({ consent: { categoryPreferences: { Analytics: true } }, consentManagement: { deniedConsentIds: ['advertising'] } });
    const records = Object.entries(reading.categories).map(([category, granted]) => rec(granted, T0 + 3 * MIN, category));
    const at = (category: string, final: boolean) => decideConsent({ mode: 'opt-in', category, eventTimeMs: T0, records, holdMs: HOLD, final });
    expect([at('analytics', false), at('advertising', false), at('marketing', false), at('marketing', true)]).toStrictEqual([ALLOW, DENIED, HOLDING, NOT_GIVEN]);
  });
});
