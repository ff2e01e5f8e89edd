import { defaultProjectSettings, type ProjectSettings } from '../contracts/project';
import type { SynthFigures, SynthVia } from '../contracts/synth';
import { rawSubject } from '../contracts/wire';
import { prepareEvents } from './collector-request';
import { decideConsent, readConsent, requiredCategory, type ConsentRecord } from './consent';
import { decodeMessage, type ProjectRules } from './decode-message';
import { reachedSteps, type FunnelEvent } from './ordered-funnel';
import { isLinkableId } from './identifiers';
import { decideLink, proposedLinks, refKey, type IdentityRef } from './identity-graph';
import type { PreparedEvent } from './prepared-event';
import { deviceKey } from './session-key';
import { planSessions, type SessionEvent } from './sessionize';
import type { SynthMessage, SynthTraffic } from './synth-traffic';
import { parseIsoTimestamp } from '../contracts/timestamps';

/**
 * What braid's documented rules make of a run's traffic, figure by figure,
 * computed with the rules themselves (one home per rule): the collector's
 * request rules (http), JetStream's duplicate window, the decoder (rejection
 * reasons, event time), consent, messageId deduplication, the identity graph,
 * sessions, and the funnel's definition (db/views/funnel_persons.sql).
 * Pure.
 *
 * The model's receipt time is the anchor: the publisher stamps `sentAt` with
 * its own clock (plus the device's skew), so every event time is the
 * generator's, whenever the message is actually received.
 */
export interface SynthOutcome {
  figures: SynthFigures;
  /** Refused by the collector before JetStream (http), by reason. */
  collectorRejections: Record<string, number>;
  /** Retries JetStream dropped inside its duplicate window (http): never accepted. */
  jetstreamDuplicates: number;
}

/** The project rules the expectation assumes: braid's defaults for a new project (contracts/project.ts). */
export function assumedSettings(): ProjectSettings {
  return defaultProjectSettings();
}

export function expectOutcome(traffic: SynthTraffic, projectId: string, via: SynthVia, settings: ProjectSettings = assumedSettings()): SynthOutcome {
  const rules: ProjectRules = {
    projectId,
    channels: settings.channels,
    skewToleranceSeconds: settings.skewToleranceSeconds,
    namingConvention: settings.namingConvention,
    trackingPlan: settings.trackingPlan,
  };
  const receivedAtMs = traffic.anchorMs;
  const collectorRejections: Record<string, number> = {};
  const rejectionsByReason: Record<string, number> = {};
  let jetstreamDuplicates = 0;
  let accepted = 0;
  const inStream = new Set<string>();
  const decoded: PreparedEvent[] = [];

  traffic.messages.forEach((message, index) => {
    let data = encode(withSentAt(message, receivedAtMs));
    let streamId: string | null = message.natsMsgId ? String(message.payload.messageId) : null;
    if (via === 'http') {
      const prepared = prepareEvents('batch', { batch: [JSON.parse(new TextDecoder().decode(data))] }, () => `generated-${index}`);
      if (prepared.kind !== 'events') throw new Error(`the collector would refuse message ${index} as a request: ${prepared.message}`);
      const rejected = prepared.rejected[0];
      if (rejected) {
        bump(collectorRejections, rejected.reason);
        return;
      }
      const ready = prepared.ready[0];
      if (!ready) throw new Error(`the collector would drop message ${index} silently`);
      data = new Uint8Array(ready.data);
      streamId = ready.messageId;
    }
    if (streamId !== null && inStream.has(streamId)) {
      jetstreamDuplicates += 1;
      return;
    }
    if (streamId !== null) inStream.add(streamId);
    accepted += 1;
    const outcome = decodeMessage(
      { subject: rawSubject(projectId, message.channel), data, receivedAtMs, source: { stream: 'BRAID_RAW', sequence: index + 1, subject: rawSubject(projectId, message.channel) } },
      (id) => (id === projectId ? rules : undefined),
    );
    if (outcome.kind === 'rejected') bump(rejectionsByReason, outcome.rejection.reason);
    else decoded.push(outcome.event);
  });

  // Admission in arrival order: an id written before is a duplicate; consent decides the rest.
  const links = new IdentityGraph();
  for (const e of decoded) for (const p of proposedLinks(e, () => false)) links.linkAll(p.a, p.b);
  const consent = new Map<string, ConsentRecord[]>();
  const written = new Map<string, PreparedEvent>();
  let duplicates = 0;
  let suppressed = 0;
  for (const e of decoded) {
    if (written.has(e.messageId)) {
      duplicates += 1;
      continue;
    }
    const eventTimeMs = parseIsoTimestamp(e.eventTime) as number;
    // Consent given on one id covers the person: records are kept per group of linked ids.
    const groups = new Set(idsOf(e).map((key) => links.find(key)));
    for (const group of groups) {
      for (const [category, granted] of Object.entries(readConsent(e.context).categories)) {
        const list = consent.get(group) ?? [];
        list.push({ category, granted, effectiveAtMs: eventTimeMs });
        consent.set(group, list);
      }
    }
    const records = [...groups].flatMap((group) => consent.get(group) ?? []);
    const decision = decideConsent({
      mode: settings.consentMode,
      category: requiredCategory(settings.requiredConsent, e.event ?? e.name),
      eventTimeMs,
      records,
      holdMs: settings.consentHoldSeconds * 1000,
      final: true,
    });
    if (decision.kind === 'allow') written.set(e.messageId, e);
    else suppressed += 1;
  }
  const canonical = [...written.values()];

  return {
    figures: {
      accounting: { accepted, canonical: canonical.length, rejected: sum(rejectionsByReason), suppressed, duplicates },
      rejectionsByReason,
      persons: countPersons(canonical),
      sessions: countSessions(projectId, canonical, settings.sessionTimeoutMinutes * 60_000),
      funnel: funnelPersons(canonical, traffic.funnel),
      eventsByChannel: canonical.reduce<Record<string, number>>((acc, e) => bump(acc, e.channel), {}),
    },
    collectorRejections,
    jetstreamDuplicates,
  };
}

/** The message as the publisher sends it at `nowMs`: `sentAt` from its clock, off by the device's skew. */
export function withSentAt(message: SynthMessage, nowMs: number): Record<string, unknown> {
  return { ...message.payload, sentAt: new Date(nowMs + message.clockOffsetMs).toISOString() };
}

const encode = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));

function bump(counts: Record<string, number>, key: string): Record<string, number> {
  counts[key] = (counts[key] ?? 0) + 1;
  return counts;
}

const sum = (counts: Record<string, number>): number => Object.values(counts).reduce((a, b) => a + b, 0);

/** The event's real ids as identity keys (`user:<id>`, `anonymous:<id>`). */
function idsOf(e: PreparedEvent): string[] {
  return [...(isLinkableId(e.userId) ? [`user:${e.userId}`] : []), ...(isLinkableId(e.anonymousId) ? [`anonymous:${e.anonymousId}`] : [])];
}

/** Union-find over identity keys: the ids that events link (consent given on one covers them all). */
class IdentityGraph {
  private readonly parent = new Map<string, string>();

  find(key: string): string {
    let root = key;
    while (this.parent.has(root) && this.parent.get(root) !== root) root = this.parent.get(root) as string;
    if (root !== key) this.parent.set(key, root);
    return root;
  }

  linkAll(a: IdentityRef, b: IdentityRef): void {
    if (!isLinkableId(a.id) || !isLinkableId(b.id)) return;
    const [ra, rb] = [this.find(refKey(a)), this.find(refKey(b))];
    if (ra !== rb) this.parent.set(ra, rb);
  }

}

/**
 * Persons in analytics.events: the identity graph's components under the
 * links the written events propose (in event-time order, as a drain links
 * them), each decided by the graph's rules (two identified users never join
 * implicitly); an event's person is its user's, else its anonymous id's.
 */
function personOfEvents(events: readonly PreparedEvent[]): Map<string, string | null> {
  const graph = new PersonGraph();
  const ordered = [...events].sort((a, b) => (a.eventTime < b.eventTime ? -1 : a.eventTime > b.eventTime ? 1 : 0));
  const knownUsers = new Set(events.flatMap((e) => (isLinkableId(e.userId) ? [e.userId as string] : [])));
  for (const e of ordered) {
    if (isLinkableId(e.userId)) graph.add({ kind: 'user', id: e.userId as string });
    if (isLinkableId(e.anonymousId)) graph.add({ kind: 'anonymous', id: e.anonymousId as string });
    for (const p of proposedLinks(e, (id) => knownUsers.has(id))) {
      const decision = decideLink(p.a, p.b, (r) => graph.componentOf(r), (n) => graph.hasUser(n), false);
      if (decision.kind === 'link') graph.link(p.a, p.b);
    }
  }
  const personOf = new Map<string, string | null>();
  for (const e of events) {
    const ref: IdentityRef | null = isLinkableId(e.userId)
      ? { kind: 'user', id: e.userId as string }
      : isLinkableId(e.anonymousId)
        ? { kind: 'anonymous', id: e.anonymousId as string }
        : null;
    personOf.set(e.messageId, ref ? `person-${graph.componentOf(ref)}` : null);
  }
  return personOf;
}

/** Identities joined into persons (union-find), numbered as decideLink expects, with whether a person has a user id. */
class PersonGraph {
  private readonly parent = new Map<string, string>();
  private readonly user = new Map<string, boolean>();
  private readonly numbers = new Map<string, number>();
  private readonly roots: string[] = [];

  add(r: IdentityRef): void {
    const k = refKey(r);
    if (this.parent.has(k)) return;
    this.parent.set(k, k);
    this.user.set(k, r.kind === 'user');
  }

  componentOf(r: IdentityRef): number | undefined {
    const k = refKey(r);
    if (!this.parent.has(k)) return undefined;
    const root = this.find(k);
    let n = this.numbers.get(root);
    if (n === undefined) {
      n = this.roots.length;
      this.roots.push(root);
      this.numbers.set(root, n);
    }
    return n;
  }

  hasUser(n: number): boolean {
    const root = this.roots[n];
    return root !== undefined && (this.user.get(this.find(root)) ?? false);
  }

  link(a: IdentityRef, b: IdentityRef): void {
    this.add(a);
    this.add(b);
    const [ra, rb] = [this.find(refKey(a)), this.find(refKey(b))];
    if (ra === rb) return;
    this.parent.set(ra, rb);
    this.user.set(rb, (this.user.get(rb) ?? false) || (this.user.get(ra) ?? false));
  }

  private find(k: string): string {
    let root = k;
    while (this.parent.get(root) !== root) root = this.parent.get(root) as string;
    return root;
  }
}

function countPersons(events: readonly PreparedEvent[]): number {
  return new Set([...personOfEvents(events).values()].filter((p) => p !== null)).size;
}

/** Rows of analytics.sessions: each device's written events through braid's session rule, all at once (it is order-independent). */
function countSessions(projectId: string, events: readonly PreparedEvent[], timeoutMs: number): number {
  const byDevice = new Map<string, { channel: string; deviceKey: string; events: SessionEvent[] }>();
  for (const e of events) {
    const key = deviceKey(e);
    const id = `${e.channel}\n${key}`;
    const device = byDevice.get(id) ?? { channel: e.channel, deviceKey: key, events: [] };
    device.events.push({ eventId: e.messageId, eventTimeMs: parseIsoTimestamp(e.eventTime) as number, ...(e.clientSessionId === undefined ? {} : { clientSessionId: e.clientSessionId }) });
    byDevice.set(id, device);
  }
  let sessions = 0;
  for (const d of byDevice.values()) {
    const plan = planSessions({ projectId, channel: d.channel, deviceKey: d.deviceKey }, [], d.events, timeoutMs);
    sessions += new Set(Object.values(plan.assignments)).size;
  }
  return sessions;
}

/** analytics.funnel of the expected events, person by person (rules/ordered-funnel.ts). */
function funnelPersons(events: readonly PreparedEvent[], funnel: SynthTraffic['funnel']): SynthFigures['funnel'] {
  const personOf = personOfEvents(events);
  const byPerson = new Map<string, FunnelEvent[]>();
  for (const e of events) {
    const person = personOf.get(e.messageId);
    const name = e.event ?? e.name;
    if (!person || name === undefined) continue;
    byPerson.set(person, [...(byPerson.get(person) ?? []), { timeMs: parseIsoTimestamp(e.eventTime) as number, id: e.messageId, event: name }]);
  }
  const reached = reachedSteps(byPerson.values(), funnel.steps, funnel);
  return funnel.steps.map((event, i) => ({ step: i + 1, event, persons: reached[i] ?? 0 }));
}
