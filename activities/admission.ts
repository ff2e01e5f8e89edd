import { createHmac } from 'node:crypto';
import type pg from 'pg';
import type { ProjectSettings } from '../contracts/project';
import { consentOfSubjects, insertConsentRecords } from '../db/consent-records';
import { erasedAmong } from '../db/erased-subjects';
import { projectsWithKeys } from '../db/project-secrets';
import { runningCanaries } from '../db/rule-canaries';
import { insertSuppressions } from '../db/suppressions';
import { decideConsent, readConsent, requiredCategory, type ConsentRecord } from '../rules/consent';
import { isLinkableId } from '../rules/identifiers';
import { minimize } from '../rules/minimize';
import { parseIsoTimestamp } from '../contracts/timestamps';
import { transform } from '../rules/transforms';
import type { CanonicalDraft } from './canonical-events.types';
import { subjectHash } from '../db/secrets';

export interface SuppressedEvent {
  event: CanonicalDraft;
  category: string;
  reason: 'consent_denied' | 'consent_not_given' | 'erased_subject';
  /** The rules version that suppressed it. */
  rulesVersion: number;
}

export interface Admission {
  /** The hold window of the held events' project. */
  consentHoldMs?: number;
  /** Allowed, minimized, ready to write. */
  allowed: CanonicalDraft[];
  /** Dropped: counted, never stored. */
  suppressed: SuppressedEvent[];
  /** Opt-in events whose consent is not known yet: the session workflow holds them. */
  held: CanonicalDraft[];
  /** Consent records the events carried (held events of their persons may be decided now). */
  consentRecorded: number;
  /** The session timeout of each canary arm among the allowed events (by rules version). */
  canaryTimeoutsMs: Map<number, number>;
}

interface ProjectContext {
  settings: ProjectSettings;
  rulesVersion: number;
  key: Buffer;
  /** The project's running canary: its rules version and settings. */
  canary: { version: number; settings: ProjectSettings } | null;
}

/** The rules an event is decided by: its canary's when ingest put it in a canary arm that still runs, else the project's. */
function rulesOf(project: ProjectContext, draft: CanonicalDraft): { settings: ProjectSettings; version: number; canary: boolean } {
  if (draft.rulesVersion !== undefined && project.canary?.version === draft.rulesVersion) return { settings: project.canary.settings, version: draft.rulesVersion, canary: true };
  return { settings: project.settings, version: project.rulesVersion, canary: false };
}

/**
 * The step before any write: records the consent that events carry, drops
 * the events of erased subjects and those their consent does not allow
 * (rules/consent.ts), holds opt-in events whose consent is not known yet
 * (unless `final`), and minimizes the PII of the rest (rules/minimize.ts).
 * Runs inside the write transaction.
 */
export async function admit(client: pg.PoolClient, drafts: readonly CanonicalDraft[], final: (e: CanonicalDraft) => boolean): Promise<Admission> {
  const admission: Admission = { allowed: [], suppressed: [], held: [], consentRecorded: 0, canaryTimeoutsMs: new Map() };
  if (drafts.length === 0) return admission;
  const projects = await loadProjects(client, drafts);
  const withConsent = drafts.map((d) => {
    const reading = readConsent(d.context);
    return { draft: reading.flags.length ? { ...d, flags: [...d.flags, ...reading.flags] } : d, reading };
  });
  admission.consentRecorded = await recordEventConsent(client, withConsent);
  const erased = await erasedIds(client, drafts);
  const records = await consentRecordsFor(client, drafts);

  for (const { draft } of withConsent) {
    const project = projects.get(draft.projectId);
    if (!project) throw new Error(`project ${draft.projectId} is missing`);
    const rules = rulesOf(project, draft);
    const { settings } = rules;
    const category = requiredCategory(settings.requiredConsent, draft.event ?? draft.name);
    if (idsOf(draft).some((k) => erased.has(`${draft.projectId}|${k}`))) {
      admission.suppressed.push({ event: draft, category, reason: 'erased_subject', rulesVersion: rules.version });
      continue;
    }
    const decision = decideConsent({
      mode: settings.consentMode,
      category,
      eventTimeMs: parseIsoTimestamp(draft.eventTime) ?? 0,
      records: records(draft),
      holdMs: settings.consentHoldSeconds * 1000,
      final: final(draft),
    });
    if (decision.kind === 'hold') {
      admission.held.push(draft);
      admission.consentHoldMs = settings.consentHoldSeconds * 1000;
    }
    else if (decision.kind === 'suppress') admission.suppressed.push({ event: draft, category, reason: decision.reason, rulesVersion: rules.version });
    else {
      const hmac = (value: string) => createHmac('sha256', project.key).update(value).digest('hex');
      const { event, changes } = minimize(draft, settings.piiPolicy, hmac);
      // Only a canary arm's events carry their rules version on; the rest take the project's as they are written.
      const { rulesVersion: _stamp, ...unstamped } = event;
      const decided = rules.canary ? event : unstamped;
      if (rules.canary) admission.canaryTimeoutsMs.set(rules.version, settings.sessionTimeoutMinutes * 60_000);
      admission.allowed.push({ ...decided, transforms: [...decided.transforms, transform('minimize')], flags: changes.length ? [...decided.flags, ...changes] : decided.flags });
    }
  }
  return admission;
}

/** Records suppressed messages in the ledger, once per source position. */
export async function recordSuppressions(client: pg.PoolClient, suppressed: readonly SuppressedEvent[]): Promise<number> {
  if (suppressed.length === 0) return 0;
  return insertSuppressions(
    client,
    suppressed.map(({ event, category, reason, rulesVersion }) => ({
      sourceStream: event.source.stream,
      sourceSequence: event.source.sequence,
      projectId: event.projectId,
      channel: event.channel,
      day: event.eventTime.slice(0, 10),
      category,
      reason,
      deviceKey: event.deviceKey,
      rulesVersion,
    })),
  );
}

function idsOf(d: CanonicalDraft): string[] {
  const ids: string[] = [];
  if (d.userId !== undefined && isLinkableId(d.userId)) ids.push(`user:${d.userId}`);
  if (d.anonymousId !== undefined && isLinkableId(d.anonymousId)) ids.push(`anonymous:${d.anonymousId}`);
  return ids;
}

/** Project settings and keys, reused for a few seconds: every drain needs them, they rarely change. */
const PROJECT_CACHE_MS = 5_000;
const projectCache = new Map<string, { context: ProjectContext; loadedAt: number }>();

/**
 * The rules of the drafts' projects, from the cache unless stale, or unless
 * a draft carries a canary's rules version the cached project does not know
 * (a canary that began since the cache was filled).
 */
async function loadProjects(client: pg.PoolClient, drafts: readonly CanonicalDraft[]): Promise<Map<string, ProjectContext>> {
  const now = Date.now();
  const projectIds = [...new Set(drafts.map((d) => d.projectId))];
  const fresh = new Map<string, ProjectContext>();
  for (const id of projectIds) {
    const cached = projectCache.get(id);
    if (!cached || now - cached.loadedAt >= PROJECT_CACHE_MS) continue;
    const knows = (version: number) => version <= cached.context.rulesVersion || cached.context.canary?.version === version;
    if (drafts.every((d) => d.projectId !== id || d.rulesVersion === undefined || knows(d.rulesVersion))) fresh.set(id, cached.context);
  }
  const missing = projectIds.filter((id) => !fresh.has(id));
  if (missing.length === 0) return fresh;
  const canaries = new Map((await runningCanaries(client)).map((c) => [c.projectId, { version: c.canaryVersion, settings: c.settings }]));
  for (const { projectId, settings, rulesVersion, piiKey } of await projectsWithKeys(client, missing)) {
    const context = { settings, rulesVersion, key: piiKey, canary: canaries.get(projectId) ?? null };
    projectCache.set(projectId, { context, loadedAt: now });
    fresh.set(projectId, context);
  }
  return fresh;
}

async function recordEventConsent(client: pg.PoolClient, events: { draft: CanonicalDraft; reading: ReturnType<typeof readConsent> }[]): Promise<number> {
  const rows = events.flatMap(({ draft, reading }) =>
    idsOf(draft).flatMap((key) =>
      Object.entries(reading.categories).map(([category, granted]) => ({
        projectId: draft.projectId,
        kind: key.slice(0, key.indexOf(':')) as 'user' | 'anonymous',
        subjectId: key.slice(key.indexOf(':') + 1),
        category,
        granted,
        effectiveAt: draft.eventTime,
        source: 'event' as const,
        eventId: draft.messageId,
      })),
    ),
  );
  return insertConsentRecords(client, rows);
}

async function erasedIds(client: pg.PoolClient, drafts: readonly CanonicalDraft[]): Promise<Set<string>> {
  const keys = new Map<string, string>();
  for (const d of drafts) for (const k of idsOf(d)) keys.set(subjectHash(d.projectId, k.slice(0, k.indexOf(':')), k.slice(k.indexOf(':') + 1)), `${d.projectId}|${k}`);
  if (keys.size === 0) return new Set();
  const erased = await erasedAmong(client, [...keys.keys()]);
  return new Set([...erased].map((hash) => keys.get(hash) as string));
}

/**
 * The consent records that apply to each event: those of every identity of
 * the persons its ids belong to (consent given on one device covers the
 * person), and of its own ids.
 */
async function consentRecordsFor(client: pg.PoolClient, drafts: readonly CanonicalDraft[]): Promise<(d: CanonicalDraft) => ConsentRecord[]> {
  const wanted = drafts.flatMap((d) => idsOf(d).map((k) => ({ projectId: d.projectId, kind: k.slice(0, k.indexOf(':')), id: k.slice(k.indexOf(':') + 1) })));
  if (wanted.length === 0) return () => [];
  const byKey = new Map<string, ConsentRecord[]>();
  for (const r of await consentOfSubjects(client, wanted)) {
    const k = `${r.projectId}|${r.key}`;
    byKey.set(k, [...(byKey.get(k) ?? []), { category: r.category, granted: r.granted, effectiveAtMs: r.effectiveAt.getTime() }]);
  }
  return (d) => idsOf(d).flatMap((k) => byKey.get(`${d.projectId}|${k}`) ?? []);
}
