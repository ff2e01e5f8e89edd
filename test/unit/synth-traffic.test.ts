import { afterEach, describe, expect, it, vi } from 'vitest';
import { prepareEvents } from '../../rules/collector-request';
import { decodeMessage } from '../../rules/decode-message';
import { computeEventTime } from '../../rules/event-time';
import { withSentAt } from '../../rules/synth-expectation';
import { checkSynthOptions, generateTraffic, MALFORMED_KINDS, SYNTH_LIMITS, type SynthMessage, type SynthTag } from '../../rules/synth-traffic';
import { SeededRandom } from '../../rules/seeded-random';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const ANCHOR = Date.UTC(2026, 4, 4, 12, 0, 0);

const traffic = (seed: number, events = 300, anchorMs = ANCHOR) => generateTraffic({ seed, events, anchorMs });
const tagged = (messages: SynthMessage[], tag: SynthTag) => messages.filter((m) => m.tags.includes(tag));
const story = (messages: SynthMessage[]) => messages.filter((m) => !m.tags.includes('malformed') && !m.tags.includes('retry'));

describe('seeded random', () => {
  it.each([0, 1, 42, 0xffff_ffff])('seed %s repeats its sequence and stays in [0, 1)', (seed) => {
    const [a, b] = [new SeededRandom(seed), new SeededRandom(seed)];
    const xs = Array.from({ length: 1000 }, () => a.next());
    expect(Array.from({ length: 1000 }, () => b.next())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it.each([
    [0, 1],
    [1, 2],
    [41, 42],
  ])('neighbouring seeds %s and %s start apart', (s1, s2) => {
    expect(new SeededRandom(s1).next()).not.toBe(new SeededRandom(s2).next());
  });

  it.each([-1, 1.5, 2 ** 32, Number.NaN])('refuses seed %s', (seed) => {
    expect(() => new SeededRandom(seed)).toThrow(RangeError);
  });
});

describe('synthetic traffic: determinism', () => {
  afterEach(() => vi.restoreAllMocks());

  it.each([0, 1, 7, 123_456, 0xffff_ffff])('seed %s gives the same messages twice, without Math.random', (seed) => {
    const random = vi.spyOn(Math, 'random');
    expect(JSON.stringify(traffic(seed))).toBe(JSON.stringify(traffic(seed)));
    expect(random).not.toHaveBeenCalled();
  });

  it.each([
    [1, 2],
    [0, 0xffff_ffff],
    [41, 42],
  ])('seeds %s and %s give different traffic', (a, b) => {
    const [ta, tb] = [traffic(a), traffic(b)];
    const ids = (t: ReturnType<typeof traffic>) => t.messages.flatMap((m) => (m.payload.messageId === undefined ? [] : [m.payload.messageId]));
    expect(ids(ta)).not.toEqual(ids(tb));
    expect(new Set(ids(ta)).size).toBeGreaterThan(0);
    expect(ids(ta).some((id) => ids(tb).includes(id))).toBe(false);
  });

  it('another anchor moves the times, not the rest', () => {
    const [a, b] = [traffic(5, 300, ANCHOR), traffic(5, 300, ANCHOR + HOUR)];
    expect(b.messages.map((m) => m.payload.messageId)).toEqual(a.messages.map((m) => m.payload.messageId));
    b.messages.forEach((m, i) => {
      const before = a.messages[i]?.eventTimeMs ?? null;
      expect(m.eventTimeMs).toBe(before === null ? null : before + HOUR);
    });
  });
});

describe('synthetic traffic: shape', () => {
  it.each([SYNTH_LIMITS.minEvents, SYNTH_LIMITS.minEvents + 1, 300, 1001, 5000])('%s events are exactly that many messages', (events) => {
    const t = traffic(3, events);
    expect(t.messages).toHaveLength(events);
    const ids = t.messages.filter((m) => !m.tags.includes('retry') && m.payload.messageId !== undefined).map((m) => m.payload.messageId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  const EVERY_KIND: SynthTag[] = ['late', 'future', 'skewed_clock', 'retry', 'consent_denied', 'consent_granted', 'identify', 'pii', 'client_session', 'long_pause', 'malformed'];
  it.each(Array.from({ length: 40 }, (_, i) => i * 97))('seed %s at the minimum size holds every kind of traffic', (seed) => {
    const t = traffic(seed, SYNTH_LIMITS.minEvents);
    for (const tag of EVERY_KIND) expect(tagged(t.messages, tag).length, tag).toBeGreaterThan(0);
    for (const kind of MALFORMED_KINDS) expect(t.messages.filter((m) => m.malformed === kind).length, kind).toBeGreaterThan(0);
    expect(new Set(t.messages.map((m) => m.channel))).toEqual(new Set(['web', 'mobile', 'backend']));
    const events = new Set(t.messages.map((m) => m.payload.event));
    for (const step of t.funnel.steps) expect(events.has(step), step).toBe(true);
  });

  it('publishes live traffic in event-time order, then the late sessions, a retry right after its original', () => {
    const { messages } = traffic(11, 2000);
    const firstLate = messages.findIndex((m) => m.tags.includes('late'));
    expect(messages.slice(firstLate).every((m) => m.tags.includes('late'))).toBe(true);
    const times = story(messages.slice(0, firstLate)).map((m) => m.eventTimeMs as number);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    messages.forEach((m, i) => {
      if (!m.tags.includes('retry')) return;
      const original = messages.slice(0, i).reverse().find((o) => !o.tags.includes('malformed'));
      expect(original?.payload).toEqual(m.payload);
      expect(original?.natsMsgId).toBe(true);
      expect(m.natsMsgId).toBe(false);
    });
  });

  it('keeps late events a day and more before the anchor, future ones at most 45 s after it', () => {
    const { messages } = traffic(12, 3000);
    for (const m of tagged(story(messages), 'late')) expect(m.eventTimeMs as number).toBeLessThan(ANCHOR - 25 * HOUR);
    for (const m of tagged(story(messages), 'future')) {
      expect(m.eventTimeMs as number).toBeGreaterThan(ANCHOR);
      expect(m.eventTimeMs as number).toBeLessThanOrEqual(ANCHOR + 45 * SECOND);
    }
    for (const m of story(messages).filter((x) => !x.tags.includes('late') && !x.tags.includes('future'))) {
      expect(m.eventTimeMs as number).toBeGreaterThanOrEqual(ANCHOR - 24 * HOUR);
      expect(m.eventTimeMs as number).toBeLessThan(ANCHOR);
    }
  });

  it('leaves every device gaps far from the 30-minute timeout (under 25 minutes or over an hour), so transit time cannot move a session boundary', () => {
    const { messages } = traffic(13, 5000);
    const byDevice = new Map<string, number[]>();
    for (const m of story(messages)) {
      if (m.payload.context && (m.payload.context as { sessionId?: unknown }).sessionId !== undefined) continue;
      const key = `${m.channel}|${String(m.payload.anonymousId ?? m.payload.userId)}`;
      byDevice.set(key, [...(byDevice.get(key) ?? []), m.eventTimeMs as number]);
    }
    for (const times of byDevice.values()) {
      times.sort((a, b) => a - b);
      for (let i = 1; i < times.length; i++) {
        const gap = (times[i] as number) - (times[i - 1] as number);
        expect(gap < 25 * MINUTE || gap > HOUR, `gap of ${gap / MINUTE} minutes`).toBe(true);
      }
    }
  });

  it('puts PII-shaped fake values in identify traits', () => {
    const identifies = tagged(traffic(14, 1000).messages, 'identify');
    expect(identifies.length).toBeGreaterThan(0);
    for (const m of identifies) {
      const traits = m.payload.traits as Record<string, string>;
      expect(traits.email).toMatch(/^user\d+@example\.test$/);
      expect(traits.phone).toMatch(/^\+1-555-01\d{2}-\d{4}$/);
    }
  });

  it('gives each event the time braid computes from its timestamp and sentAt, whenever it is received', () => {
    const { messages } = traffic(15, 3000);
    for (const delay of [0, 30 * SECOND, 10 * MINUTE]) {
      for (const m of story(messages)) {
        const received = ANCHOR + delay;
        const sent = withSentAt(m, received);
        const time = computeEventTime({ timestamp: sent.timestamp as string, sentAt: sent.sentAt as string, receivedAtMs: received, skewToleranceMs: 30 * SECOND });
        expect(time.eventTimeMs).toBe(m.eventTimeMs);
        expect(time.flags).not.toContain('future_time_clamped');
        expect(time.flags.includes('clock_skew_corrected')).toBe(m.tags.includes('skewed_clock'));
      }
    }
  });
});

describe('synthetic traffic: malformed messages', () => {
  const rules = { projectId: 'synth', channels: ['web', 'mobile', 'backend'], skewToleranceSeconds: 30, namingConvention: 'object_action_title' as const };
  const { messages } = traffic(21, 1000);
  const malformed = messages.filter((m) => m.malformed !== undefined);

  it.each(MALFORMED_KINDS.map((kind) => [kind]))('%s: ingest rejects it with exactly that reason', (kind) => {
    const ofKind = malformed.filter((m) => m.malformed === kind);
    expect(ofKind.length).toBeGreaterThan(0);
    for (const m of ofKind) {
      const data = new TextEncoder().encode(JSON.stringify(withSentAt(m, ANCHOR)));
      const outcome = decodeMessage({ subject: `braid.raw.synth.${m.channel}`, data, receivedAtMs: ANCHOR, source: { stream: 'BRAID_RAW', sequence: 1, subject: null } }, () => rules);
      expect(outcome.kind === 'rejected' ? outcome.rejection.reason : 'accepted').toBe(kind);
    }
  });

  it.each([
    ['missing_message_id', 'accepted with a messageId the collector makes'],
    ['invalid_timestamp', 'invalid_timestamp'],
    ['missing_event', 'missing_event'],
    ['missing_identity', 'missing_identity'],
  ])('%s: the collector answers %s', (kind, expected) => {
    for (const m of malformed.filter((x) => x.malformed === kind)) {
      const prepared = prepareEvents('batch', { batch: [withSentAt(m, ANCHOR)] }, () => 'generated');
      if (prepared.kind !== 'events') throw new Error(prepared.message);
      const got = prepared.rejected[0]?.reason ?? (prepared.ready[0]?.generatedId ? 'accepted with a messageId the collector makes' : 'accepted');
      expect(got).toBe(expected);
    }
  });
});

describe('synthetic traffic: ugly options', () => {
  it.each<[string, { seed?: unknown; events?: unknown; rate?: unknown }, string[]]>([
    ['fine', { seed: 1, events: 300 }, []],
    ['fine with a rate', { seed: 0, events: SYNTH_LIMITS.minEvents, rate: 0.5 }, []],
    ['the largest rate', { seed: 0xffff_ffff, events: SYNTH_LIMITS.maxEvents, rate: SYNTH_LIMITS.maxRate }, []],
    ['no events', { seed: 1, events: 0 }, ['--events must be an integer from 80 to 100000']],
    ['one event', { seed: 1, events: 1 }, ['--events must be an integer from 80 to 100000']],
    ['one event too few', { seed: 1, events: SYNTH_LIMITS.minEvents - 1 }, ['--events']],
    ['too many events', { seed: 1, events: SYNTH_LIMITS.maxEvents + 1 }, ['--events']],
    ['a fraction of an event', { seed: 1, events: 100.5 }, ['--events']],
    ['events as text', { seed: 1, events: '300' }, ['--events']],
    ['events not a number', { seed: 1, events: Number.NaN }, ['--events']],
    ['a negative seed', { seed: -1, events: 300 }, ['--seed must be an integer from 0 to 4294967295']],
    ['a seed too large', { seed: 2 ** 32, events: 300 }, ['--seed']],
    ['a fractional seed', { seed: 1.5, events: 300 }, ['--seed']],
    ['a huge rate', { seed: 1, events: 300, rate: 1e9 }, ['--rate must be a number of events per second above 0 and at most 100000']],
    ['an infinite rate', { seed: 1, events: 300, rate: Number.POSITIVE_INFINITY }, ['--rate']],
    ['a zero rate', { seed: 1, events: 300, rate: 0 }, ['--rate']],
    ['a negative rate', { seed: 1, events: 300, rate: -5 }, ['--rate']],
    ['everything wrong', { seed: -1, events: 1, rate: 1e9 }, ['--seed', '--events', '--rate']],
  ])('%s', (_name, options, expected) => {
    const problems = checkSynthOptions(options);
    expect(problems).toHaveLength(expected.length);
    expected.forEach((start, i) => expect(problems[i]).toContain(start));
  });

  it.each([0, 1, SYNTH_LIMITS.minEvents - 1, SYNTH_LIMITS.maxEvents + 1])('generating %s events throws a RangeError that says why', (events) => {
    expect(() => generateTraffic({ seed: 1, events, anchorMs: ANCHOR })).toThrow(/--events must be an integer from 80 to 100000/);
  });

  it('refuses an anchor that is not a time', () => {
    expect(() => generateTraffic({ seed: 1, events: 300, anchorMs: Number.NaN })).toThrow(/anchor/);
  });
});
