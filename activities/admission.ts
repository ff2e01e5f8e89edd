import { createHmac } from 'node:crypto';
import type pg from 'pg';
import type { ProjectSettings } from '../contracts/project';
import { consentOfSubjects, insertConsentRecords } from '../db/consent-records';
import { erasedAmong } from '../db/erased-subjects';
import { projectsWithKeys } from '../db/project-secrets';
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
}

interface ProjectContext {
  settings: ProjectSettings;
  key: Buffer;
}

/**
 * The step before any write: records the consent that events carry, drops
 * the events of erased subjects and those their consent does not allow
 * (rules/consent.ts), holds opt-in events whose consent is not known yet
 * (unless `final`), and minimizes the PII of the rest (rules/minimize.ts).
 * Runs inside the write transaction.
 */
export async function admit(client: pg.PoolClient, drafts: readonly CanonicalDraft[], final: (e: CanonicalDraft) => boolean): Promise<Admission> {
  const admission: Admission = { allowed: [], suppressed: [], held: [], consentRecorded: 0 };
  if (drafts.length === 0) return admission;
  const projects = await loadProjects(client, [...new Set(drafts.map((d) => d.projectId))]);
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
    const category = requiredCategory(project.settings.requiredConsent, draft.event ?? draft.name);
    if (idsOf(draft).some((k) => erased.has(`${draft.projectId}|${k}`))) {
      admission.suppressed.push({ event: draft, category, reason: 'erased_subject' });
      continue;
    }
    const decision = decideConsent({
      mode: project.settings.consentMode,
      category,
      eventTimeMs: parseIsoTimestamp(draft.eventTime) ?? 0,
      records: records(draft),
      holdMs: project.settings.consentHoldSeconds * 1000,
      final: final(draft),
    });
    if (decision.kind === 'hold') {
      admission.held.push(draft);
      admission.consentHoldMs = project.settings.consentHoldSeconds * 1000;
    }
    else if (decision.kind === 'suppress') admission.suppressed.push({ event: draft, category, reason: decision.reason });
    else {
      const hmac = (value: string) => createHmac('sha256', project.key).update(value).digest('hex');
      const { event, changes } = minimize(draft, project.settings.piiPolicy, hmac);
      admission.allowed.push({ ...event, transforms: [...event.transforms, transform('minimize')], flags: changes.length ? [...event.flags, ...changes] : event.flags });
    }
  }
  return admission;
}

/** Records suppressed messages in the ledger, once per source position. */
export async function recordSuppressions(client: pg.PoolClient, suppressed: readonly SuppressedEvent[]): Promise<number> {
  if (suppressed.length === 0) return 0;
  return insertSuppressions(
    client,
    suppressed.map(({ event, category, reason }) => ({
      sourceStream: event.source.stream,
      sourceSequence: event.source.sequence,
      projectId: event.projectId,
      channel: event.channel,
      day: event.eventTime.slice(0, 10),
      category,
      reason,
      deviceKey: event.deviceKey,
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

async function loadProjects(client: pg.PoolClient, projectIds: string[]): Promise<Map<string, ProjectContext>> {
  const now = Date.now();
  const fresh = new Map<string, ProjectContext>();
  for (const id of projectIds) {
    const cached = projectCache.get(id);
    if (cached && now - cached.loadedAt < PROJECT_CACHE_MS) fresh.set(id, cached.context);
  }
  const missing = projectIds.filter((id) => !fresh.has(id));
  if (missing.length === 0) return fresh;
  for (const { projectId, settings, piiKey } of await projectsWithKeys(client, missing)) {
    const context = { settings, key: piiKey };
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
