import { MAX_SEED, SeededRandom } from './seeded-random';

/**
 * Synthetic product traffic for `braid synth run` (contract §6), generated
 * deterministically from a seed: the same seed, count and anchor give the
 * same messages, byte for byte. Pure: the anchor (the run's clock at its
 * start) is handed in, and nothing here reads the time or Math.random.
 *
 * Personas browse on the web and in the app, sign in (identify, with
 * PII-shaped traits), buy through the backend, and drop off along the funnel
 * Product Viewed → Product Added → Order Completed. Each device's activity
 * comes in sessions: bursts of events 90 s to 4 min apart, separated by hours,
 * so braid's 30-minute inactivity rule cuts them exactly where the generator
 * did; app events carry `context.sessionId` (one app session may pause 35-50
 * minutes and stays one session). Around that:
 * - consent: some anonymous web visitors deny `analytics` (their choice and
 *   every event after it are suppressed in an opt-out project), others grant it;
 * - clock skew: a phone whose clock runs hours ahead (timestamp and sentAt
 *   both off, which braid corrects), and a few events stamped 5-45 s after the
 *   anchor (ahead of receipt, within braid's one-minute tolerance);
 * - late events: sessions from 26-30 hours before the anchor, published last;
 * - client retries: the same message again, right after the first;
 * - malformed events: each of MALFORMED_KINDS in turn.
 */
export const SYNTH_CHANNELS = ['web', 'mobile', 'backend'] as const;
export type SynthChannel = (typeof SYNTH_CHANNELS)[number];

/**
 * minEvents: the four personas that open every run (a shopper, a visitor who
 * denies consent, a phone with a wrong clock, a visitor still browsing at the
 * anchor) send at most 73 events, plus 4 malformed and 2 retries: from 80
 * events on, every kind of traffic is in every run.
 */
export const SYNTH_LIMITS = { minEvents: 80, maxEvents: 100_000, maxRate: 100_000 } as const;

export const FUNNEL_STEPS = ['Product Viewed', 'Product Added', 'Order Completed'] as const;

/** The malformed messages the traffic contains, named by the rejection reason braid gives each. */
export const MALFORMED_KINDS = ['missing_message_id', 'invalid_timestamp', 'missing_event', 'missing_identity'] as const;
export type MalformedKind = (typeof MALFORMED_KINDS)[number];

export type SynthTag =
  | 'late'
  | 'future'
  | 'skewed_clock'
  | 'retry'
  | 'consent_denied'
  | 'consent_granted'
  | 'identify'
  | 'pii'
  | 'client_session'
  | 'long_pause'
  | 'malformed';

export interface SynthMessage {
  channel: SynthChannel;
  /** The event as the client sends it, without `sentAt`: the publisher stamps that with its clock plus `clockOffsetMs`. */
  payload: Record<string, unknown>;
  /** How far the sending device's clock is off (its `timestamp` is off by as much). */
  clockOffsetMs: number;
  /** Whether a NATS publisher sets `Nats-Msg-Id` (a retrying client without it, and events without a messageId, do not). */
  natsMsgId: boolean;
  /** The event time braid should give it (null for a message braid rejects). */
  eventTimeMs: number | null;
  tags: SynthTag[];
  malformed?: MalformedKind;
}

export interface SynthOptions {
  seed: number;
  /** Messages to publish, retries and malformed ones included. */
  events: number;
  /** The run's clock at its start (ms). */
  anchorMs: number;
}

export interface SynthTraffic {
  seed: number;
  events: number;
  anchorMs: number;
  /** In publish order. */
  messages: SynthMessage[];
  /** The funnel `synth verify` asks analytics.funnel about: the day before the anchor, a one-hour window. */
  funnel: { steps: string[]; fromMs: number; toMs: number; windowMs: number };
}

/** What is wrong with the options of a run, in words for the command line; empty when nothing is. */
export function checkSynthOptions(options: { seed?: unknown; events?: unknown; rate?: unknown }): string[] {
  const problems: string[] = [];
  const { seed, events, rate } = options;
  if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) {
    problems.push(`--seed must be an integer from 0 to ${MAX_SEED}, got ${String(seed)}`);
  }
  if (typeof events !== 'number' || !Number.isInteger(events) || events < SYNTH_LIMITS.minEvents || events > SYNTH_LIMITS.maxEvents) {
    problems.push(
      `--events must be an integer from ${SYNTH_LIMITS.minEvents} to ${SYNTH_LIMITS.maxEvents} ` +
        `(fewer cannot hold every kind of traffic the expectation checks: personas, sessions, funnel, consent, skew, late, retries and ${MALFORMED_KINDS.length} malformed kinds), got ${String(events)}`,
    );
  }
  if (rate !== undefined && (typeof rate !== 'number' || !Number.isFinite(rate) || rate <= 0 || rate > SYNTH_LIMITS.maxRate)) {
    problems.push(`--rate must be a number of events per second above 0 and at most ${SYNTH_LIMITS.maxRate} (leave it out to publish as fast as acks come), got ${String(rate)}`);
  }
  return problems;
}

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** Where sessions go: three slots in the day before the anchor, each session starting early enough in its slot to leave hours before the next. */
const SLOTS_FROM = 24 * HOUR;
const SLOTS_TO = 2 * HOUR + 45 * MINUTE;
const SLOT_COUNT = 3;
const SLOT_MS = (SLOTS_FROM - SLOTS_TO) / SLOT_COUNT;
const SLOT_START_SPAN = SLOT_MS - 3 * HOUR;
/** Late sessions start 27-30 hours before the anchor and end before the slots begin. */
const LATE_FROM = 30 * HOUR;
const LATE_SPAN = 3 * HOUR;
/** A live session starts 25 minutes before the anchor; its last events may be a little ahead of it. */
const LIVE_FROM = 25 * MINUTE;
const SKEWED_CLOCK_MS = 2 * HOUR + 17 * MINUTE;

type PersonaKind = 'shopper' | 'browser' | 'denier' | 'app_user';

interface Persona {
  kind: PersonaKind;
  number: number;
  userId: string | null;
  webAnon: string | null;
  mobileAnon: string | null;
  /** Signed in on the web / in the app (identify sent): later events there carry the userId too. */
  webIdentified: boolean;
  mobileIdentified: boolean;
  grantsConsent: boolean;
  denied: boolean;
  mobileClockOffsetMs: number;
  ip: string;
}

interface StoryEvent {
  channel: SynthChannel;
  payload: Record<string, unknown>;
  timeMs: number;
  clockOffsetMs: number;
  tags: SynthTag[];
  persona: Persona;
  late: boolean;
}

/**
 * The traffic of one run. Throws a RangeError naming the problem when the
 * options are out of range (see checkSynthOptions).
 */
export function generateTraffic(options: SynthOptions): SynthTraffic {
  const problems = checkSynthOptions(options);
  if (!Number.isFinite(options.anchorMs)) problems.push(`the anchor must be a time, got ${options.anchorMs}`);
  if (problems.length > 0) throw new RangeError(problems.join('; '));
  const rng = new SeededRandom(options.seed);
  const anchor = options.anchorMs;
  const usedIds = new Set<string>();
  const newMessageId = (): string => {
    for (;;) {
      const id = rng.uuid();
      if (!usedIds.has(id)) {
        usedIds.add(id);
        return id;
      }
    }
  };

  const malformedCount = Math.max(MALFORMED_KINDS.length, Math.floor(options.events * 0.02));
  const retryCount = Math.max(2, Math.floor(options.events * 0.02));
  const storyCount = options.events - malformedCount - retryCount;

  // Stories, persona by persona, until there are enough; the last persona's latest events are cut.
  const FORCED: PersonaKind[] = ['shopper', 'denier', 'app_user', 'browser'];
  const story: StoryEvent[] = [];
  for (let n = 0; story.length < storyCount; n++) {
    const kind = n < FORCED.length ? (FORCED[n] as PersonaKind) : pickKind(rng);
    story.push(...personaStory(rng, anchor, n, kind, n < FORCED.length, newMessageId));
  }
  story.length = storyCount;

  // Publish order: live traffic by event time, then the late sessions.
  const live = story.filter((e) => !e.late).sort((a, b) => a.timeMs - b.timeMs);
  const late = story.filter((e) => e.late).sort((a, b) => a.timeMs - b.timeMs);
  const ordered = [...live, ...late];

  // Client retries of events braid writes (never of a visitor who denied consent: that would count as suppressed twice).
  const retryable = ordered.filter((e) => !e.persona.denied);
  const retried = new Set(sample(rng, retryable, retryCount));
  // Malformed variants of page and screen views (never of a suppressed, skewed or future event, so their valid twin over HTTP is plain).
  const malformable = ordered.filter(
    (e) => !e.persona.denied && (e.payload.type === 'page' || e.payload.type === 'screen') && !e.tags.includes('skewed_clock') && !e.tags.includes('future'),
  );
  const bases = sample(rng, malformable, malformedCount);
  const malformedOf = new Map<StoryEvent, MalformedKind>(bases.map((e, i) => [e, MALFORMED_KINDS[i % MALFORMED_KINDS.length] as MalformedKind]));

  const messages: SynthMessage[] = [];
  for (const e of ordered) {
    const message: SynthMessage = { channel: e.channel, payload: e.payload, clockOffsetMs: e.clockOffsetMs, natsMsgId: true, eventTimeMs: e.timeMs, tags: e.tags };
    messages.push(message);
    if (retried.has(e)) messages.push({ ...message, natsMsgId: false, tags: [...e.tags, 'retry'] });
    const kind = malformedOf.get(e);
    if (kind) messages.push(malformedVariant(e, kind, newMessageId()));
  }
  return {
    seed: options.seed,
    events: options.events,
    anchorMs: anchor,
    messages,
    funnel: { steps: [...FUNNEL_STEPS], fromMs: anchor - 24 * HOUR, toMs: anchor, windowMs: HOUR },
  };
}

function pickKind(rng: SeededRandom): PersonaKind {
  const r = rng.next();
  if (r < 0.4) return 'shopper';
  if (r < 0.75) return 'browser';
  if (r < 0.9) return 'app_user';
  return 'denier';
}

/** `count` distinct items, in their original order. */
function sample<T>(rng: SeededRandom, items: readonly T[], count: number): T[] {
  if (items.length < count) throw new RangeError(`cannot pick ${count} of ${items.length} events`);
  const indexes = items.map((_, i) => i);
  for (let i = 0; i < count; i++) {
    const j = rng.int(i, indexes.length - 1);
    [indexes[i], indexes[j]] = [indexes[j] as number, indexes[i] as number];
  }
  return indexes
    .slice(0, count)
    .sort((a, b) => a - b)
    .map((i) => items[i] as T);
}

/** A copy of a page or screen view with one defect, one second after it, on the same device. */
function malformedVariant(base: StoryEvent, kind: MalformedKind, messageId: string): SynthMessage {
  const payload: Record<string, unknown> = { ...base.payload, messageId, timestamp: new Date(base.timeMs + SECOND).toISOString() };
  let eventTimeMs: number | null = null;
  let natsMsgId = true;
  switch (kind) {
    case 'missing_message_id':
      delete payload.messageId;
      natsMsgId = false;
      // Over HTTP the collector gives it a messageId, and it is a valid page view.
      eventTimeMs = base.timeMs + SECOND;
      break;
    case 'invalid_timestamp':
      payload.timestamp = messageId.charCodeAt(0) % 2 === 0 ? '2026-02-30T10:00:00Z' : 'yesterday at noon';
      break;
    case 'missing_event':
      payload.type = 'track';
      delete payload.name;
      payload.properties = { ...(payload.properties as object), note: 'a track call without its event name' };
      break;
    case 'missing_identity':
      delete payload.userId;
      delete payload.anonymousId;
      break;
  }
  return { channel: base.channel, payload, clockOffsetMs: base.clockOffsetMs, natsMsgId, eventTimeMs, tags: [...base.tags, 'malformed'], malformed: kind };
}

const PAGES = ['Home', 'Pricing', 'Catalog', 'Search Results', 'Blog', 'About'];
const SCREENS = ['Home', 'Catalog', 'Product', 'Cart', 'Settings'];
const PRODUCTS = [
  { sku: 'TEA-01', name: 'Sencha', price: 12.5 },
  { sku: 'TEA-02', name: 'Assam', price: 9.9 },
  { sku: 'MUG-07', name: 'Stoneware mug', price: 18 },
  { sku: 'KET-03', name: 'Kettle', price: 49 },
  { sku: 'SET-11', name: 'Tasting set', price: 29.5 },
];

function personaStory(rng: SeededRandom, anchor: number, number: number, kind: PersonaKind, forced: boolean, newMessageId: () => string): StoryEvent[] {
  const hasUser = kind === 'shopper' || kind === 'app_user';
  const persona: Persona = {
    kind,
    number,
    userId: hasUser ? `user_${rng.hex(10)}` : null,
    webAnon: kind === 'app_user' ? null : rng.uuid(),
    mobileAnon: kind === 'app_user' || (kind === 'shopper' && (forced || rng.chance(0.5))) ? rng.uuid() : null,
    webIdentified: false,
    mobileIdentified: false,
    grantsConsent: (forced && kind === 'shopper') || (kind !== 'denier' && rng.chance(0.3)),
    denied: false,
    mobileClockOffsetMs: kind === 'app_user' && (forced || rng.chance(0.3)) ? SKEWED_CLOCK_MS : 0,
    ip: `203.0.113.${rng.int(1, 254)}`,
  };
  const events: StoryEvent[] = [];
  const emit = (channel: SynthChannel, timeMs: number, body: Record<string, unknown>, tags: SynthTag[] = [], late = false): void => {
    const offset = channel === 'mobile' ? persona.mobileClockOffsetMs : 0;
    const allTags = [...tags];
    if (offset !== 0) allTags.push('skewed_clock');
    if (timeMs > anchor) allTags.push('future');
    if (late) allTags.push('late');
    events.push({
      channel,
      payload: { messageId: newMessageId(), ...body, timestamp: new Date(timeMs + offset).toISOString() },
      timeMs,
      clockOffsetMs: offset,
      tags: allTags,
      persona,
      late,
    });
  };

  // Session starts: a late one (some personas), one to three in the day's slots, a live one (some personas).
  const starts: { atMs: number; late: boolean; live: boolean }[] = [];
  if ((forced && kind === 'shopper') || (!forced && rng.chance(0.15))) starts.push({ atMs: anchor - LATE_FROM + rng.int(0, LATE_SPAN / SECOND) * SECOND, late: true, live: false });
  let slots = [0, 1, 2].filter(() => rng.chance(0.6));
  if (slots.length === 0) slots.push(rng.int(0, SLOT_COUNT - 1));
  // The first shopper signs in during its late session and orders again in the day's first slot.
  if (forced && kind === 'shopper' && slots.length < 2) slots = [0, 2];
  for (const slot of slots) starts.push({ atMs: anchor - SLOTS_FROM + slot * SLOT_MS + rng.int(0, SLOT_START_SPAN / SECOND) * SECOND, late: false, live: false });
  if ((forced && kind === 'browser') || (!forced && rng.chance(0.1))) starts.push({ atMs: anchor - LIVE_FROM, late: false, live: true });

  for (const start of starts) {
    if (start.live) {
      if (persona.webAnon !== null) liveSession(rng, persona, anchor, emit);
      continue;
    }
    const forcedWeb = forced && starts.indexOf(start) < 2;
    const channel: SynthChannel = persona.webAnon === null ? 'mobile' : persona.mobileAnon !== null && !forcedWeb && rng.chance(0.5) ? 'mobile' : 'web';
    if (channel === 'web') webSession(rng, persona, start, emit, forced);
    else mobileSession(rng, persona, start, emit, forced);
  }
  return events;
}

type Emit = (channel: SynthChannel, timeMs: number, body: Record<string, unknown>, tags?: SynthTag[], late?: boolean) => void;

const gap = (rng: SeededRandom): number => rng.int(90, 240) * SECOND;

function traits(rng: SeededRandom, persona: Persona): Record<string, unknown> {
  const n = rng.int(100, 99_999);
  return {
    email: `user${n}@example.test`,
    phone: `+1-555-01${String(rng.int(0, 99)).padStart(2, '0')}-${String(n % 10_000).padStart(4, '0')}`,
    name: `Test Person ${persona.number}`,
    plan: rng.pick(['free', 'plus', 'pro']),
  };
}

/** What a persona's browser sends: its ids (with the userId once signed in) and context, consent included. */
function webDevice(persona: Persona, emit: Emit, late: boolean) {
  const context = (): Record<string, unknown> => ({
    ip: persona.ip,
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/131.0',
    locale: 'en-GB',
    library: { name: 'analytics.js', version: '5.2.0' },
    ...(persona.grantsConsent ? { consent: { categoryPreferences: { analytics: true, advertising: false } } } : {}),
    ...(persona.denied ? { consent: { categoryPreferences: { Analytics: false, advertising: false } } } : {}),
  });
  const ids = (): Record<string, unknown> => ({ anonymousId: persona.webAnon, ...(persona.webIdentified && persona.userId ? { userId: persona.userId } : {}) });
  const tags = (): SynthTag[] => [...(persona.denied ? (['consent_denied'] as SynthTag[]) : []), ...(persona.grantsConsent ? (['consent_granted'] as SynthTag[]) : [])];
  return {
    context,
    page: (t: number, name: string) =>
      emit('web', t, { type: 'page', ...ids(), name, properties: { path: `/${name.toLowerCase().replace(/ /g, '-')}`, title: name }, context: context() }, tags(), late),
    track: (t: number, event: string, properties: Record<string, unknown>) => emit('web', t, { type: 'track', ...ids(), event, properties, context: context() }, tags(), late),
  };
}

function webSession(rng: SeededRandom, persona: Persona, start: { atMs: number; late: boolean }, emit: Emit, forced: boolean): void {
  let t = start.atMs;
  const web = webDevice(persona, emit, start.late);
  const page = (name: string) => {
    web.page(t, name);
    t += gap(rng);
  };
  const track = (event: string, properties: Record<string, unknown>) => {
    web.track(t, event, properties);
    t += gap(rng);
  };

  page(rng.pick(PAGES));
  if (rng.chance(0.5)) page(rng.pick(PAGES));
  if (persona.kind === 'denier' && !persona.denied) {
    // The consent banner: analytics denied. This event and every later one of the device are suppressed.
    persona.denied = true;
    track('Consent Updated', { categories: ['analytics', 'advertising'], granted: [] });
    page(rng.pick(PAGES));
    return;
  }
  if (rng.chance(0.3)) track('Search Performed', { query: rng.pick(['green tea', 'mug', 'gift']) });
  if (forced || rng.chance(0.75)) {
    const product = rng.pick(PRODUCTS);
    track('Product Viewed', { ...product, currency: 'EUR' });
    if (forced || rng.chance(0.55)) {
      track('Product Added', { sku: product.sku, quantity: rng.int(1, 3) });
      if (persona.userId !== null && (forced || rng.chance(0.65))) {
        if (!persona.webIdentified) {
          identifyOnWeb(rng, persona, t, emit, start.late, web.context());
          t += gap(rng);
        }
        // The order: the backend knows the user only.
        emit('backend', t + rng.int(60, 300) * SECOND, order(rng, persona.userId, product.price), [], start.late);
        return;
      }
    }
  }
  if (persona.userId !== null && !persona.webIdentified && rng.chance(0.5)) identifyOnWeb(rng, persona, t, emit, start.late, web.context());
}

/** A visit going on as the run starts: its last page view is stamped 5-45 s after the anchor, ahead of its receipt but within braid's one-minute tolerance. */
function liveSession(rng: SeededRandom, persona: Persona, anchor: number, emit: Emit): void {
  const web = webDevice(persona, emit, false);
  web.page(anchor - LIVE_FROM + rng.int(0, 120) * SECOND, rng.pick(PAGES));
  web.page(anchor - rng.int(3, 8) * MINUTE, rng.pick(PAGES));
  web.page(anchor + rng.int(5, 45) * SECOND, rng.pick(PAGES));
}

function order(rng: SeededRandom, userId: string, revenue: number): Record<string, unknown> {
  return { type: 'track', userId, event: 'Order Completed', properties: { orderId: `o-${rng.hex(8)}`, revenue, currency: 'EUR' }, context: { library: { name: 'analytics-node', version: '2.1.0' } } };
}

function identifyOnWeb(rng: SeededRandom, persona: Persona, t: number, emit: Emit, late: boolean, context: Record<string, unknown>): void {
  emit('web', t, { type: 'identify', anonymousId: persona.webAnon, userId: persona.userId, traits: traits(rng, persona), context }, ['identify', 'pii'], late);
  persona.webIdentified = true;
}

function mobileSession(rng: SeededRandom, persona: Persona, start: { atMs: number; late: boolean }, emit: Emit, forced: boolean): void {
  let t = start.atMs;
  const sessionId = Math.floor(start.atMs / SECOND);
  const context = (): Record<string, unknown> => ({
    sessionId,
    app: { name: 'Teashop', version: rng.pick(['4.1.0', '4.2.0']) },
    os: { name: 'iOS', version: '18.1' },
    device: { manufacturer: 'Apple', model: 'iPhone15,2' },
    library: { name: 'analytics-ios', version: '4.1.9' },
  });
  const ids = (): Record<string, unknown> => ({ anonymousId: persona.mobileAnon, ...(persona.mobileIdentified && persona.userId ? { userId: persona.userId } : {}) });
  const screen = (name: string, tags: SynthTag[] = []) => {
    emit('mobile', t, { type: 'screen', ...ids(), name, properties: {}, context: context() }, ['client_session', ...tags], start.late);
    t += gap(rng);
  };
  screen('Home');
  if (forced || rng.chance(0.3)) {
    // Backgrounded for a while: the app keeps its session id, so braid keeps one session.
    t += rng.int(35, 50) * MINUTE;
    screen(rng.pick(SCREENS), ['long_pause']);
  }
  if (persona.userId !== null && !persona.mobileIdentified) {
    emit('mobile', t, { type: 'identify', ...ids(), userId: persona.userId, traits: traits(rng, persona), context: context() }, ['client_session', 'identify', 'pii'], start.late);
    persona.mobileIdentified = true;
    t += gap(rng);
  }
  if (persona.mobileClockOffsetMs !== 0) {
    // A phone with a wrong clock reads articles; its event times come from skew correction, off by transit time, so it stays out of the funnel.
    emit('mobile', t, { type: 'track', ...ids(), event: 'Article Read', properties: { articleId: `a-${rng.int(1, 40)}` }, context: context() }, ['client_session'], start.late);
    t += gap(rng);
    screen(rng.pick(SCREENS));
    return;
  }
  if (rng.chance(0.6)) {
    const product = rng.pick(PRODUCTS);
    emit('mobile', t, { type: 'track', ...ids(), event: 'Product Viewed', properties: { ...product, currency: 'EUR' }, context: context() }, ['client_session'], start.late);
    t += gap(rng);
    if (rng.chance(0.5)) {
      emit('mobile', t, { type: 'track', ...ids(), event: 'Product Added', properties: { sku: product.sku, quantity: 1 }, context: context() }, ['client_session'], start.late);
      t += gap(rng);
      if (persona.userId !== null && rng.chance(0.6)) {
        emit('backend', t + rng.int(60, 300) * SECOND, order(rng, persona.userId, product.price), [], start.late);
      }
    }
  }
  screen(rng.pick(SCREENS));
}
