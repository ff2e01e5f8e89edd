import { createHmac } from 'node:crypto';
import { isIP } from 'node:net';
import { describe, expect, it } from 'vitest';
import { defaultProjectSettings } from '../../contracts/project';
import { minimize, truncateIp, type Minimizable, type PiiPolicy } from '../../rules/minimize';

interface TestEvent extends Minimizable {
  messageId: string;
  type: string;
  event?: string;
}

const NO_POLICY: PiiPolicy = { truncateIp: false, drop: [], pseudonymize: [] };
const policy = (p: Partial<PiiPolicy>): PiiPolicy => ({ ...NO_POLICY, ...p });

function makeEvent(parts: Partial<Minimizable> = {}): TestEvent {
  return { messageId: 'msg-1', type: 'track', event: 'Order Completed', properties: {}, traits: {}, context: {}, ...parts };
}

/** A pseudonymizer that shows what it was given and remembers every call. */
function recorder() {
  const calls: string[] = [];
  const fn = (value: string) => {
    calls.push(value);
    return `<${value}>`;
  };
  return { calls, fn };
}

const mustNotBeCalled = (value: string): string => {
  throw new Error(`pseudonymize called with ${value}`);
};

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** The canonical (RFC 5952) text of an IPv6 address, by the WHATWG URL parser. */
const canonicalV6 = (ip: string) => new URL(`http://[${ip}]/`).hostname;

describe('truncateIp', () => {
  describe('IPv4 → its /24', () => {
    it.each([
      { ip: '203.0.113.9', expected: '203.0.113.0' },
      { ip: '198.51.100.255', expected: '198.51.100.0' },
      { ip: '10.1.2.3', expected: '10.1.2.0' },
      { ip: '192.168.1.1', expected: '192.168.1.0' },
      { ip: '255.255.255.255', expected: '255.255.255.0' },
      { ip: '0.0.0.0', expected: '0.0.0.0' },
      { ip: '1.2.3.4', expected: '1.2.3.0' },
      { ip: '203.0.113.0', expected: '203.0.113.0' },
      { ip: '  203.0.113.77 ', expected: '203.0.113.0' },
    ])('$ip → $expected', ({ ip, expected }) => {
      expect(truncateIp(ip)).toBe(expected);
    });
  });

  describe('IPv6 → its /48', () => {
    // Exact text where the /48 has no zero group to compress.
    it.each([
      { ip: '2001:db8:1:2:3:4:5:6', expected: '2001:db8:1::' },
      { ip: '2001:0db8:0001:0002:0003:0004:0005:0006', expected: '2001:db8:1::' },
      { ip: '2001:0DB8:0001:0002:0003:0004:0005:0006', expected: '2001:db8:1::' },
      { ip: '2001:DB8:1::5', expected: '2001:db8:1::' },
      { ip: '2001:db8:1::', expected: '2001:db8:1::' },
      { ip: '2001:db8:1:ffff:ffff:ffff:ffff:ffff', expected: '2001:db8:1::' },
      { ip: 'FE80:ABCD:12::1', expected: 'fe80:abcd:12::' },
      { ip: '2a00:1450:4001:82a::200e', expected: '2a00:1450:4001::' },
      { ip: '1:2:3:4:5:6:7:8', expected: '1:2:3::' },
      { ip: '1:2:3:4:5:6:7::', expected: '1:2:3::' },
      { ip: ' 2001:db8:1::9 ', expected: '2001:db8:1::' },
    ])('$ip → $expected', ({ ip, expected }) => {
      expect(truncateIp(ip)).toBe(expected);
    });

    // Where the /48 itself has zero groups, any correct spelling of it is fine:
    // compare addresses, not texts.
    it.each([
      { ip: '2001:db8::1', expected: '2001:db8::' },
      { ip: '2001:0DB8:0000:0000:0000:0000:0000:0001', expected: '2001:db8::' },
      { ip: '::1', expected: '::' },
      { ip: '::', expected: '::' },
      { ip: '::1:2:3:4:5:6:7', expected: '0:1:2::' },
      { ip: '0:0:1::', expected: '0:0:1::' },
      { ip: 'fd00::abcd:1', expected: 'fd00::' },
    ])('$ip → the address $expected', ({ ip, expected }) => {
      const out = truncateIp(ip);
      expect(typeof out).toBe('string');
      expect(isIP(out as string)).toBe(6);
      expect(canonicalV6(out as string)).toBe(canonicalV6(expected));
    });

    it('every spelling of one address gives the very same text (grouping and counting work)', () => {
      const spellings = [
        '2001:db8:0:1::7',
        '2001:DB8:0:1::7',
        '2001:0db8:0000:0001:0000:0000:0000:0007',
        '2001:db8::1:0:0:0:7',
        '2001:db8:0:1:0:0:0:7',
        ' 2001:db8:0:1::7',
      ];
      const outs = new Set(spellings.map((s) => truncateIp(s)));
      expect(outs.size).toBe(1);
      const [out] = [...outs];
      expect(canonicalV6(out as string)).toBe('[2001:db8::]');
    });

    it('different /48s stay apart', () => {
      const outs = ['2001:db8:1::1', '2001:db8:2::1', '2001:db9:1::1', '2001:db8:1:ffff::1'].map((ip) => truncateIp(ip));
      expect(outs).toEqual(['2001:db8:1::', '2001:db8:2::', '2001:db9:1::', '2001:db8:1::']);
    });
  });

  describe('anything that is not an address → null (removed)', () => {
    it.each<{ label: string; ip: unknown }>([
      { label: 'empty string', ip: '' },
      { label: 'blank string', ip: '   ' },
      { label: 'a word', ip: 'not-an-ip' },
      { label: 'a host name', ip: 'localhost' },
      { label: 'an octet over 255', ip: '256.1.1.1' },
      { label: 'a last octet over 255', ip: '1.2.3.256' },
      { label: 'three octets', ip: '1.2.3' },
      { label: 'five octets', ip: '1.2.3.4.5' },
      { label: 'a negative octet', ip: '1.2.3.-1' },
      { label: 'an empty octet', ip: '1..3.4' },
      { label: 'a CIDR suffix', ip: '203.0.113.9/24' },
      { label: 'a port', ip: '203.0.113.9:8080' },
      { label: 'a three-digit octet with a leading zero', ip: '192.168.010.5' },
      { label: 'IPv6 with ":::"', ip: '2001:db8:::1' },
      { label: 'IPv6 with two "::"', ip: '1::2::3' },
      { label: 'IPv6 with nine groups', ip: '1:2:3:4:5:6:7:8:9' },
      { label: 'IPv6 with seven groups and no "::"', ip: '1:2:3:4:5:6:7' },
      { label: 'IPv6 with a five-digit group', ip: '12345::1' },
      { label: 'IPv6 with a non-hex digit', ip: 'g::1' },
      { label: 'IPv6 with a leading single colon', ip: ':1:2:3:4:5:6:7' },
      { label: 'IPv6 with a trailing single colon', ip: '1:2:3:4:5:6:7:' },
      { label: 'hex without colons', ip: 'abcd' },
      { label: 'a bracketed IPv6', ip: '[2001:db8::1]' },
      { label: 'a number', ip: 3405803785 },
      { label: 'null', ip: null },
      { label: 'undefined', ip: undefined },
      { label: 'a boolean', ip: true },
      { label: 'an object', ip: { v4: '203.0.113.9' } },
      { label: 'an array', ip: ['203.0.113.9'] },
    ])('$label', ({ ip }) => {
      expect(truncateIp(ip)).toBeNull();
    });

    // "::" stands for at least one zero group: with eight groups written out
    // besides it, these are nine groups long and not addresses (node:net says so).
    it.each(['1::2:3:4:5:6:7:8', '1:2:3:4:5:6:7::8', '2001:db8::1:2:3:4:5:6'])('IPv6 with eight groups and a "::" (%s)', (ip) => {
      expect(isIP(ip)).toBe(0);
      expect(truncateIp(ip)).toBeNull();
    });

    // A two-digit octet with a leading zero is not an address to node:net (or
    // inet_pton); inet_aton would read it as 1. Either way "192.168.01.0" is
    // wrong: it is neither removed nor the /24 of 192.168.1.x.
    it('IPv4 with a two-digit leading-zero octet in the /24 (192.168.01.5)', () => {
      expect(isIP('192.168.01.5')).toBe(0);
      expect([null, '192.168.1.0']).toContain(truncateIp('192.168.01.5'));
    });
  });
});

describe('minimize', () => {
  describe('context.ip', () => {
    it.each<{ label: string; ip: unknown; expected: string | undefined; changes: string[] }>([
      { label: 'IPv4 truncated to its /24', ip: '203.0.113.9', expected: '203.0.113.0', changes: ['ip_truncated'] },
      { label: 'IPv6 truncated to its /48', ip: '2001:DB8:1:2:3:4:5:6', expected: '2001:db8:1::', changes: ['ip_truncated'] },
      { label: 'compressed IPv6 truncated to its /48', ip: '2001:db8:1::42', expected: '2001:db8:1::', changes: ['ip_truncated'] },
      { label: 'an IPv4 already at its /24 is unchanged, and no change is recorded', ip: '203.0.113.0', expected: '203.0.113.0', changes: [] },
      { label: 'an IPv6 already at its /48 is unchanged, and no change is recorded', ip: '2001:db8:1::', expected: '2001:db8:1::', changes: [] },
      { label: 'an invalid string is removed', ip: 'not-an-ip', expected: undefined, changes: ['ip_truncated'] },
      { label: 'an out-of-range IPv4 is removed', ip: '300.1.2.3', expected: undefined, changes: ['ip_truncated'] },
      { label: 'an empty string is removed', ip: '', expected: undefined, changes: ['ip_truncated'] },
      { label: 'a number is removed', ip: 12345, expected: undefined, changes: ['ip_truncated'] },
      { label: 'null is removed', ip: null, expected: undefined, changes: ['ip_truncated'] },
    ])('$label', ({ ip, expected, changes }) => {
      const input = makeEvent({ context: { ip, locale: 'en-US' } });
      const out = minimize(input, policy({ truncateIp: true }), mustNotBeCalled);
      expect(out.changes).toEqual(changes);
      if (expected === undefined) {
        expect(Object.keys(out.event.context)).toEqual(['locale']);
      } else {
        expect(out.event.context).toStrictEqual({ ip: expected, locale: 'en-US' });
      }
    });

    it('no ip: nothing added, nothing recorded', () => {
      const out = minimize(makeEvent({ context: { locale: 'en-US' } }), policy({ truncateIp: true }), mustNotBeCalled);
      expect(out.event.context).toStrictEqual({ locale: 'en-US' });
      expect('ip' in out.event.context).toBe(false);
      expect(out.changes).toEqual([]);
    });

    it.each<{ ip: unknown }>([{ ip: '203.0.113.9' }, { ip: '2001:db8:1:2::1' }, { ip: 'not-an-ip' }, { ip: null }])(
      'truncateIp false leaves $ip as it is',
      ({ ip }) => {
        const out = minimize(makeEvent({ context: { ip } }), policy({ truncateIp: false }), mustNotBeCalled);
        expect(out.event.context).toStrictEqual({ ip });
        expect(out.changes).toEqual([]);
      },
    );

    it('only context.ip is truncated, not ips elsewhere', () => {
      const input = makeEvent({ properties: { ip: '203.0.113.9' }, traits: { ip: '203.0.113.9' }, context: { ip: '203.0.113.9', device: { ip: '198.51.100.7' } } });
      const out = minimize(input, policy({ truncateIp: true }), mustNotBeCalled);
      expect(out.event.properties).toStrictEqual({ ip: '203.0.113.9' });
      expect(out.event.traits).toStrictEqual({ ip: '203.0.113.9' });
      expect(out.event.context).toStrictEqual({ ip: '203.0.113.0', device: { ip: '198.51.100.7' } });
    });
  });

  describe('drop', () => {
    const input = (): TestEvent =>
      makeEvent({
        properties: { ssn: '078-05-1120', total: 42, nested: { card: { number: '4111', brand: 'visa' } }, list: [{ secret: 1 }] },
        traits: { name: 'Ada', address: { street: '1 Main St', city: 'London' }, nick: 'ada', tag: null },
        context: { traits: { email: 'ada@example.com', plan: 'pro' }, ip: '203.0.113.9' },
      });

    it.each<{ label: string; drop: string[]; expect: (e: TestEvent) => void; changes: string[] }>([
      {
        label: 'a top-level property',
        drop: ['properties.ssn'],
        expect: (e) => expect(e.properties).toStrictEqual({ total: 42, nested: { card: { number: '4111', brand: 'visa' } }, list: [{ secret: 1 }] }),
        changes: ['dropped:properties.ssn'],
      },
      {
        label: 'a nested trait (siblings kept)',
        drop: ['traits.address.street'],
        expect: (e) => expect(e.traits).toStrictEqual({ name: 'Ada', address: { city: 'London' }, nick: 'ada', tag: null }),
        changes: ['dropped:traits.address.street'],
      },
      {
        label: 'a trait inside context',
        drop: ['context.traits.email'],
        expect: (e) => expect(e.context).toStrictEqual({ traits: { plan: 'pro' }, ip: '203.0.113.9' }),
        changes: ['dropped:context.traits.email'],
      },
      {
        label: 'three levels deep',
        drop: ['properties.nested.card.number'],
        expect: (e) => expect(e.properties.nested).toStrictEqual({ card: { brand: 'visa' } }),
        changes: ['dropped:properties.nested.card.number'],
      },
      {
        label: 'a whole subtree',
        drop: ['traits.address'],
        expect: (e) => expect(e.traits).toStrictEqual({ name: 'Ada', nick: 'ada', tag: null }),
        changes: ['dropped:traits.address'],
      },
      {
        label: 'a key whose value is null is still dropped',
        drop: ['traits.tag'],
        expect: (e) => expect('tag' in e.traits).toBe(false),
        changes: ['dropped:traits.tag'],
      },
      {
        label: 'context.ip itself',
        drop: ['context.ip'],
        expect: (e) => expect(e.context).toStrictEqual({ traits: { email: 'ada@example.com', plan: 'pro' } }),
        changes: ['dropped:context.ip'],
      },
      {
        label: 'several paths, recorded in policy order',
        drop: ['traits.nick', 'properties.ssn', 'context.traits.email'],
        expect: (e) => {
          expect(Object.keys(e.traits)).toEqual(['name', 'address', 'tag']);
          expect('ssn' in e.properties).toBe(false);
          expect(e.context.traits).toStrictEqual({ plan: 'pro' });
        },
        changes: ['dropped:traits.nick', 'dropped:properties.ssn', 'dropped:context.traits.email'],
      },
      {
        label: 'the same path twice is dropped (and recorded) once',
        drop: ['properties.ssn', 'properties.ssn'],
        expect: (e) => expect('ssn' in e.properties).toBe(false),
        changes: ['dropped:properties.ssn'],
      },
    ])('$label', ({ drop, expect: check, changes }) => {
      const out = minimize(input(), policy({ drop }), mustNotBeCalled);
      check(out.event);
      expect(out.changes).toEqual(changes);
    });

    it.each([
      { label: 'a missing key', drop: ['properties.nope'] },
      { label: 'a missing intermediate object', drop: ['traits.company.name'] },
      { label: 'through a string', drop: ['traits.name.first'] },
      { label: 'through null', drop: ['traits.tag.x'] },
      { label: 'through a number', drop: ['properties.total.value'] },
      { label: 'into an array', drop: ['properties.list.0', 'properties.list.secret', 'properties.list.0.secret'] },
      { label: 'an unknown root', drop: ['user.email', 'event.ssn', 'messageId.x'] },
      { label: 'a root alone', drop: ['properties', 'traits', 'context'] },
      { label: 'a single unknown segment', drop: ['ssn', 'messageId'] },
      { label: 'an inherited key', drop: ['properties.toString', 'traits.constructor', 'properties.__proto__'] },
    ])('$label is a no-op', ({ drop }) => {
      const before = input();
      const out = minimize(input(), policy({ drop }), mustNotBeCalled);
      expect(out.event).toStrictEqual(before);
      expect(out.changes).toEqual([]);
    });
  });

  describe('pseudonymize', () => {
    it.each<{ label: string; traits: Record<string, unknown>; given: string }>([
      { label: 'a string is trimmed and lower-cased', traits: { email: '  Ada.Lovelace@Example.COM ' }, given: 'ada.lovelace@example.com' },
      { label: 'an already normalized string', traits: { email: 'ada@example.com' }, given: 'ada@example.com' },
      { label: 'a phone number string', traits: { email: ' +44 20 7946 0958 ' }, given: '+44 20 7946 0958' },
      { label: 'a number is JSON-stringified', traits: { email: 4420794609 }, given: '4420794609' },
      { label: 'zero is not skipped', traits: { email: 0 }, given: '0' },
      { label: 'false is not skipped', traits: { email: false }, given: 'false' },
      { label: 'true', traits: { email: true }, given: 'true' },
      { label: 'an object is JSON-stringified (not lower-cased)', traits: { email: { Local: 'Ada', domain: 'X.com' } }, given: '{"Local":"Ada","domain":"X.com"}' },
      { label: 'an array is JSON-stringified', traits: { email: ['A@x.com', 2] }, given: '["A@x.com",2]' },
    ])('$label', ({ traits, given }) => {
      const { calls, fn } = recorder();
      const out = minimize(makeEvent({ traits: { ...traits, name: 'Ada' } }), policy({ pseudonymize: ['traits.email'] }), fn);
      expect(calls).toEqual([given]);
      expect(out.event.traits).toStrictEqual({ email: `hmac:<${given}>`, name: 'Ada' });
      expect(out.changes).toEqual(['pseudonymized:traits.email']);
    });

    it.each<{ label: string; traits: Record<string, unknown> }>([
      { label: 'null', traits: { email: null } },
      { label: 'undefined', traits: { email: undefined } },
      { label: 'the empty string', traits: { email: '' } },
      { label: 'a missing key', traits: {} },
    ])('$label is skipped: left as it is, not passed on, not recorded', ({ traits }) => {
      const out = minimize(makeEvent({ traits: { ...traits } }), policy({ pseudonymize: ['traits.email'] }), mustNotBeCalled);
      expect(out.event.traits).toStrictEqual(traits);
      expect(out.changes).toEqual([]);
    });

    it.each([
      { label: 'an unknown root', path: 'user.email' },
      { label: 'a root alone', path: 'traits' },
      { label: 'through a string', path: 'traits.name.first' },
      { label: 'into an array', path: 'properties.emails.0' },
      { label: 'a missing intermediate', path: 'context.traits.email' },
    ])('$label is a no-op', ({ path }) => {
      const input = makeEvent({ traits: { name: 'Ada' }, properties: { emails: ['a@x.com'] } });
      const out = minimize(input, policy({ pseudonymize: [path] }), mustNotBeCalled);
      expect(out.event).toStrictEqual(makeEvent({ traits: { name: 'Ada' }, properties: { emails: ['a@x.com'] } }));
      expect(out.changes).toEqual([]);
    });

    it('nested paths in every root, recorded in policy order', () => {
      const { calls, fn } = recorder();
      const input = makeEvent({
        properties: { buyer: { email: 'B@X.com' } },
        traits: { phone: '+1 555 0100' },
        context: { traits: { email: 'C@X.com' } },
      });
      const out = minimize(input, policy({ pseudonymize: ['context.traits.email', 'traits.phone', 'properties.buyer.email'] }), fn);
      expect(calls).toEqual(['c@x.com', '+1 555 0100', 'b@x.com']);
      expect(out.event.properties).toStrictEqual({ buyer: { email: 'hmac:<b@x.com>' } });
      expect(out.event.traits).toStrictEqual({ phone: 'hmac:<+1 555 0100>' });
      expect(out.event.context).toStrictEqual({ traits: { email: 'hmac:<c@x.com>' } });
      expect(out.changes).toEqual(['pseudonymized:context.traits.email', 'pseudonymized:traits.phone', 'pseudonymized:properties.buyer.email']);
    });

    it('a path both dropped and pseudonymized is dropped, and never passed on', () => {
      const out = minimize(makeEvent({ traits: { email: 'ada@example.com', name: 'Ada' } }), policy({ drop: ['traits.email'], pseudonymize: ['traits.email'] }), mustNotBeCalled);
      expect(out.event.traits).toStrictEqual({ name: 'Ada' });
      expect(out.changes).toEqual(['dropped:traits.email']);
    });

    it('with HMAC-SHA256: hex pseudonyms, equal for equal normalized values, no raw value left', () => {
      const hmac = (key: string) => (value: string) => createHmac('sha256', key).update(value).digest('hex');
      const run = (email: unknown, key = 'project-key-1') =>
        minimize(makeEvent({ traits: { email } }), policy({ pseudonymize: ['traits.email'] }), hmac(key)).event.traits.email as string;
      const a = run('Ada@Example.com');
      expect(a).toMatch(/^hmac:[0-9a-f]{64}$/);
      expect(a).toBe(`hmac:${createHmac('sha256', 'project-key-1').update('ada@example.com').digest('hex')}`);
      expect(run('  ada@example.COM ')).toBe(a);
      expect(run('grace@example.com')).not.toBe(a);
      expect(run('Ada@Example.com', 'project-key-2')).not.toBe(a);
      expect(run(42)).toBe(run('42'));
      expect(a).not.toContain('ada');
    });
  });

  describe('the input event is not modified', () => {
    const full: PiiPolicy = {
      truncateIp: true,
      drop: ['properties.ssn', 'traits.address.street', 'context.traits.email'],
      pseudonymize: ['traits.email', 'traits.phone', 'properties.card.holder'],
    };
    const build = (): TestEvent =>
      makeEvent({
        properties: { ssn: '078-05-1120', card: { holder: 'Ada L', last4: '1111' }, total: 10 },
        traits: { email: 'Ada@Example.com', phone: '+44 1', address: { street: '1 Main St', city: 'London' } },
        context: { ip: '203.0.113.9', traits: { email: 'ada@example.com' }, library: { name: 'analytics.js', version: '5' } },
      });

    it('a frozen input is accepted and equal to itself afterwards', () => {
      const input = deepFreeze(build());
      const out = minimize(input, full, recorder().fn);
      expect(input).toStrictEqual(build());
      expect(out.event).not.toStrictEqual(input);
    });

    it('the output shares no minimized object with the input', () => {
      const input = build();
      const out = minimize(input, full, recorder().fn);
      expect(out.event).not.toBe(input);
      expect(out.event.properties).not.toBe(input.properties);
      expect(out.event.traits).not.toBe(input.traits);
      expect(out.event.context).not.toBe(input.context);
      expect(out.event.traits.address).not.toBe(input.traits.address);
      out.event.context.library = 'changed';
      (out.event.properties.card as Record<string, unknown>).last4 = 'changed';
      expect(input).toStrictEqual(build());
    });

    it('an empty policy returns an equal copy and no changes', () => {
      const input = build();
      const out = minimize(input, NO_POLICY, mustNotBeCalled);
      expect(out.event).toStrictEqual(build());
      expect(out.event).not.toBe(input);
      expect(out.changes).toEqual([]);
    });
  });

  describe('the changes list is exact', () => {
    it('everything at once: ip, drops, pseudonyms, in that order, and fields outside the policy untouched', () => {
      const { calls, fn } = recorder();
      const input = makeEvent({
        properties: { ssn: '078-05-1120', total: 10, currency: 'EUR' },
        traits: { email: ' Ada@Example.com', phone: '+44 1', name: 'Ada', address: { street: '1 Main St', city: 'London' } },
        context: { ip: '2001:db8:1:2::9', locale: 'en-GB', traits: { email: 'x@y.z' } },
      });
      const out = minimize(
        input,
        {
          truncateIp: true,
          drop: ['traits.address.street', 'properties.ssn', 'properties.missing', 'user.email', 'context.traits.email'],
          pseudonymize: ['traits.email', 'traits.fax', 'traits.phone', 'context.traits.email'],
        },
        fn,
      );
      expect(out.changes).toEqual([
        'ip_truncated',
        'dropped:traits.address.street',
        'dropped:properties.ssn',
        'dropped:context.traits.email',
        'pseudonymized:traits.email',
        'pseudonymized:traits.phone',
      ]);
      expect(calls).toEqual(['ada@example.com', '+44 1']);
      expect(out.event).toStrictEqual({
        messageId: 'msg-1',
        type: 'track',
        event: 'Order Completed',
        properties: { total: 10, currency: 'EUR' },
        traits: { email: 'hmac:<ada@example.com>', phone: 'hmac:<+44 1>', name: 'Ada', address: { city: 'London' } },
        context: { ip: '2001:db8:1::', locale: 'en-GB', traits: {} },
      });
    });

    it('nothing to do: no changes', () => {
      const out = minimize(
        makeEvent({ properties: { total: 1 }, traits: { name: 'Ada' }, context: { locale: 'en' } }),
        { truncateIp: true, drop: ['properties.ssn'], pseudonymize: ['traits.email', 'traits.phone'] },
        mustNotBeCalled,
      );
      expect(out.changes).toEqual([]);
    });
  });

  it('the default project policy truncates the IP and pseudonymizes traits.email and traits.phone', () => {
    const { piiPolicy } = defaultProjectSettings();
    const { calls, fn } = recorder();
    const out = minimize(
      makeEvent({ traits: { email: 'Ada@Example.com', phone: '+44 20', name: 'Ada' }, context: { ip: '198.51.100.23' }, properties: { ssn: 'kept' } }),
      piiPolicy,
      fn,
    );
    expect(calls).toEqual(['ada@example.com', '+44 20']);
    expect(out.event.traits).toStrictEqual({ email: 'hmac:<ada@example.com>', phone: 'hmac:<+44 20>', name: 'Ada' });
    expect(out.event.context).toStrictEqual({ ip: '198.51.100.0' });
    expect(out.event.properties).toStrictEqual({ ssn: 'kept' });
    expect(out.changes).toEqual(['ip_truncated', 'pseudonymized:traits.email', 'pseudonymized:traits.phone']);
  });
});
