import { describe, expect, it } from 'vitest';
import { defaultProjectSettings } from '../../contracts/project';
import { synthFiguresSchema, type SynthFigures, type SynthVia } from '../../contracts/synth';
import { compareFigures, describeDifference } from '../../rules/synth-comparison';
import { expectOutcome } from '../../rules/synth-expectation';
import { generateTraffic, MALFORMED_KINDS, type SynthMessage } from '../../rules/synth-traffic';

const ANCHOR = Date.UTC(2026, 4, 4, 12, 0, 0);
const MINUTE = 60_000;
const traffic = (seed: number, events: number) => generateTraffic({ seed, events, anchorMs: ANCHOR });
const count = (messages: SynthMessage[], test: (m: SynthMessage) => boolean) => messages.filter(test).length;
const isStory = (m: SynthMessage) => !m.tags.includes('malformed') && !m.tags.includes('retry');

const CASES: [number, number, SynthVia][] = [
  [1, 80, 'nats'],
  [1, 80, 'http'],
  [1, 300, 'nats'],
  [1, 300, 'http'],
  [2, 300, 'nats'],
  [99, 1000, 'http'],
  [4_000_000_000, 2500, 'nats'],
];

describe('the expected outcome of synthetic traffic', () => {
  it.each(CASES)('seed %s, %s events via %s: accepted = canonical + rejected + suppressed + duplicates', (seed, events, via) => {
    const t = traffic(seed, events);
    const { figures, collectorRejections, jetstreamDuplicates } = expectOutcome(t, 'synth', via);
    const a = figures.accounting;
    expect(synthFiguresSchema.parse(figures)).toEqual(figures);
    expect(a.accepted).toBe(a.canonical + a.rejected + a.suppressed + a.duplicates);
    expect(a.accepted + Object.values(collectorRejections).reduce((x, y) => x + y, 0) + jetstreamDuplicates).toBe(events);
    expect(Object.values(figures.rejectionsByReason).reduce((x, y) => x + y, 0)).toBe(a.rejected);
    expect(Object.values(figures.eventsByChannel).reduce((x, y) => x + y, 0)).toBe(a.canonical);
    // Suppressed: the consent choice of the visitors who deny analytics, and everything they send after it.
    expect(a.suppressed).toBe(count(t.messages, (m) => m.tags.includes('consent_denied')));
    expect(a.suppressed).toBeGreaterThan(0);
    expect(figures.persons).toBeGreaterThan(0);
    expect(figures.sessions).toBeGreaterThanOrEqual(figures.persons);
    // The funnel drops off, step by step.
    const persons = figures.funnel.map((s) => s.persons);
    expect(figures.funnel.map((s) => s.event)).toEqual(['Product Viewed', 'Product Added', 'Order Completed']);
    expect(persons[0]).toBeGreaterThan(0);
    expect(persons).toEqual([...persons].sort((x, y) => y - x));
  });

  it.each([
    [1, 300],
    [8, 1200],
  ])('seed %s, %s events over NATS: every message accepted, each malformed kind rejected with its reason, every retry a duplicate', (seed, events) => {
    const t = traffic(seed, events);
    const { figures, collectorRejections, jetstreamDuplicates } = expectOutcome(t, 'synth', 'nats');
    expect(figures.accounting.accepted).toBe(events);
    expect(figures.accounting.duplicates).toBe(count(t.messages, (m) => m.tags.includes('retry')));
    expect(figures.rejectionsByReason).toEqual(Object.fromEntries(MALFORMED_KINDS.map((k) => [k, count(t.messages, (m) => m.malformed === k)])));
    for (const kind of MALFORMED_KINDS) expect(figures.rejectionsByReason[kind]).toBeGreaterThan(0);
    expect(collectorRejections).toEqual({});
    expect(jetstreamDuplicates).toBe(0);
  });

  it.each([
    [1, 300],
    [8, 1200],
  ])('seed %s, %s events over HTTP: the collector refuses the malformed, names the missing messageIds, and JetStream drops the retries', (seed, events) => {
    const t = traffic(seed, events);
    const nats = expectOutcome(t, 'synth', 'nats').figures;
    const http = expectOutcome(t, 'synth', 'http');
    const missingIds = count(t.messages, (m) => m.malformed === 'missing_message_id');
    expect(http.collectorRejections).toEqual(
      Object.fromEntries(MALFORMED_KINDS.filter((k) => k !== 'missing_message_id').map((k) => [k, count(t.messages, (m) => m.malformed === k)])),
    );
    expect(http.jetstreamDuplicates).toBe(count(t.messages, (m) => m.tags.includes('retry')));
    expect(http.figures.accounting).toEqual({ accepted: events - sumOf(http.collectorRejections) - http.jetstreamDuplicates, canonical: nats.accounting.canonical + missingIds, rejected: 0, suppressed: nats.accounting.suppressed, duplicates: 0 });
    expect(http.figures.rejectionsByReason).toEqual({});
    // The page views that lacked a messageId land one second after their twins, inside the same sessions.
    expect(http.figures.sessions).toBe(nats.sessions);
    expect(http.figures.persons).toBe(nats.persons);
    expect(http.figures.funnel).toEqual(nats.funnel);
  });

  it.each([
    [1, 300],
    [5, 2000],
    [77, 80],
  ])('seed %s, %s events: sessions and persons agree with a plain count (client session ids, 30-minute gaps, linked ids)', (seed, events) => {
    const t = traffic(seed, events);
    const { figures } = expectOutcome(t, 'synth', 'nats');
    const written = t.messages.filter((m) => isStory(m) && !m.tags.includes('consent_denied'));
    expect(figures.sessions).toBe(plainSessions(written, 30 * MINUTE));
    expect(figures.persons).toBe(plainPersons(written));
  });

  it('follows the project rules it is given: shorter sessions, opt-in consent', () => {
    const t = traffic(1, 300);
    const base = expectOutcome(t, 'synth', 'nats').figures;
    const short = expectOutcome(t, 'synth', 'nats', defaultProjectSettings({ sessionTimeoutMinutes: 1 })).figures;
    expect(short.sessions).toBeGreaterThan(base.sessions);
    expect(short.sessions).toBe(plainSessions(t.messages.filter((m) => isStory(m) && !m.tags.includes('consent_denied')), MINUTE));
    expect({ ...short, sessions: base.sessions }).toEqual(base);
    const optIn = expectOutcome(t, 'synth', 'nats', defaultProjectSettings({ consentMode: 'opt-in' })).figures;
    expect(optIn.accounting.suppressed).toBeGreaterThan(base.accounting.suppressed);
    // Only what consent was given for is written (a grant covers the person's other devices too).
    expect(optIn.accounting.canonical).toBeGreaterThanOrEqual(count(t.messages, (m) => isStory(m) && m.tags.includes('consent_granted')));
    expect(optIn.accounting.canonical).toBeLessThan(base.accounting.canonical);
  });
});

/** Sessions without the rule: a device's distinct client session ids, plus its other events' runs with gaps up to the timeout. */
function plainSessions(messages: SynthMessage[], timeoutMs: number): number {
  const devices = new Map<string, { clientIds: Set<string>; times: number[] }>();
  for (const m of messages) {
    const key = `${m.channel}|${m.payload.anonymousId !== undefined ? `a:${String(m.payload.anonymousId)}` : `u:${String(m.payload.userId)}`}`;
    const device = devices.get(key) ?? { clientIds: new Set(), times: [] };
    const sessionId = (m.payload.context as { sessionId?: unknown } | undefined)?.sessionId;
    if (sessionId !== undefined) device.clientIds.add(String(sessionId));
    else device.times.push(m.eventTimeMs as number);
    devices.set(key, device);
  }
  let n = 0;
  for (const { clientIds, times } of devices.values()) {
    n += clientIds.size;
    times.sort((a, b) => a - b);
    times.forEach((t, i) => {
      if (i === 0 || t - (times[i - 1] as number) > timeoutMs) n += 1;
    });
  }
  return n;
}

/** Persons without the rules: ids joined whenever an event carries both (the traffic never asks to join two users). */
function plainPersons(messages: SynthMessage[]): number {
  const parent = new Map<string, string>();
  const find = (k: string): string => (parent.get(k) === k || !parent.has(k) ? k : find(parent.get(k) as string));
  const add = (k: string) => parent.has(k) || parent.set(k, k);
  for (const m of messages) {
    const ids = [m.payload.userId === undefined ? null : `u:${String(m.payload.userId)}`, m.payload.anonymousId === undefined ? null : `a:${String(m.payload.anonymousId)}`].filter((x): x is string => x !== null);
    ids.forEach(add);
    if (ids.length === 2) parent.set(find(ids[0] as string), find(ids[1] as string));
  }
  const users = new Set<string>();
  for (const m of messages) users.add(find(m.payload.userId !== undefined ? `u:${String(m.payload.userId)}` : `a:${String(m.payload.anonymousId)}`));
  // Two user ids in one group would mean the traffic asked to merge identified users.
  const usersPerGroup = new Map<string, number>();
  for (const k of parent.keys()) if (k.startsWith('u:')) usersPerGroup.set(find(k), (usersPerGroup.get(find(k)) ?? 0) + 1);
  expect(Math.max(...usersPerGroup.values())).toBe(1);
  return users.size;
}

const sumOf = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

describe('comparing figures', () => {
  const base: SynthFigures = {
    accounting: { accepted: 10, canonical: 6, rejected: 2, suppressed: 1, duplicates: 1 },
    rejectionsByReason: { missing_event: 1, invalid_timestamp: 1 },
    persons: 3,
    sessions: 4,
    funnel: [
      { step: 1, event: 'Product Viewed', persons: 3 },
      { step: 2, event: 'Product Added', persons: 2 },
    ],
    eventsByChannel: { web: 4, mobile: 2 },
  };
  const t = (change: (f: SynthFigures) => void): SynthFigures => {
    const copy = structuredClone(base);
    change(copy);
    return copy;
  };

  it.each<[string, SynthFigures, string[]]>([
    ['the same figures', t(() => undefined), []],
    ['more sessions', t((f) => (f.sessions = 7)), ['sessions: expected 4, actual 7']],
    ['a duplicate fewer', t((f) => (f.accounting.duplicates = 0)), ['accounting.duplicates: expected 1, actual 0']],
    ['a reason that is not there', t((f) => delete f.rejectionsByReason.missing_event), ['rejections.missing_event: expected 1, actual 0']],
    ['a reason not expected', t((f) => (f.rejectionsByReason.missing_identity = 2)), ['rejections.missing_identity: expected 0, actual 2']],
    ['a funnel step', t((f) => ((f.funnel[1] as { persons: number }).persons = 1)), ['funnel.2 Product Added: expected 2, actual 1']],
    ['a channel without events', t((f) => (f.eventsByChannel = { web: 4 })), ['events.mobile: expected 2, actual 0']],
    [
      'several, in a stable order',
      t((f) => {
        f.eventsByChannel.backend = 1;
        f.persons = 2;
        f.accounting.accepted = 11;
      }),
      ['accounting.accepted: expected 10, actual 11', 'persons: expected 3, actual 2', 'events.backend: expected 0, actual 1'],
    ],
  ])('%s', (_name, actual, expected) => {
    expect(compareFigures(base, actual).map(describeDifference)).toEqual(expected);
  });
});
