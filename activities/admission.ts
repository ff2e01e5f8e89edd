import { createHmac, randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { ProjectSettings } from '../contracts/project';
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
  const rows = suppressed.map(({ event, category, reason }) => ({
    source_stream: event.source.stream,
    source_sequence: event.source.sequence,
    project_id: event.projectId,
    channel: event.channel,
    day: event.eventTime.slice(0, 10),
    category,
    reason,
    device_key: event.deviceKey,
  }));
  const res = await client.query(
    `INSERT INTO braid.suppressions (source_stream, source_sequence, project_id, channel, day, category, reason, device_key)
     SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(source_stream text, source_sequence bigint, project_id text, channel text,
       day date, category text, reason text, device_key text)
     ORDER BY source_stream, source_sequence
     ON CONFLICT DO NOTHING`,
    [JSON.stringify(rows)],
  );
  return res.rowCount ?? 0;
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
  for (const [id, context] of await queryProjects(client, missing)) {
    projectCache.set(id, { context, loadedAt: now });
    fresh.set(id, context);
  }
  return fresh;
}

async function queryProjects(client: pg.PoolClient, projectIds: string[]): Promise<Map<string, ProjectContext>> {
  await client.query(
    `INSERT INTO braid.project_secrets (project_id, pii_key) SELECT p, k FROM unnest($1::text[], $2::bytea[]) AS x(p, k) ON CONFLICT DO NOTHING`,
    [projectIds, projectIds.map(() => randomBytes(32))],
  );
  const res = await client.query<{ project_id: string; settings: ProjectSettings; pii_key: Buffer }>(
    `SELECT p.project_id, p.settings, s.pii_key FROM braid.projects p JOIN braid.project_secrets s USING (project_id) WHERE p.project_id = ANY($1::text[])`,
    [projectIds],
  );
  return new Map(res.rows.map((r) => [r.project_id, { settings: r.settings, key: r.pii_key }]));
}

async function recordEventConsent(client: pg.PoolClient, events: { draft: CanonicalDraft; reading: ReturnType<typeof readConsent> }[]): Promise<number> {
  const rows = events.flatMap(({ draft, reading }) =>
    idsOf(draft).flatMap((key) =>
      Object.entries(reading.categories).map(([category, granted]) => ({
        project_id: draft.projectId,
        kind: key.slice(0, key.indexOf(':')),
        subject_id: key.slice(key.indexOf(':') + 1),
        category,
        granted,
        effective_at: draft.eventTime,
        event_id: draft.messageId,
      })),
    ),
  );
  if (rows.length === 0) return 0;
  const res = await client.query(
    `INSERT INTO braid.consent_records (project_id, kind, subject_id, category, granted, effective_at, source, event_id)
     SELECT project_id, kind, subject_id, category, granted, effective_at, 'event', event_id
     FROM jsonb_to_recordset($1::jsonb) AS x(project_id text, kind text, subject_id text, category text, granted boolean,
       effective_at timestamptz, event_id text)
     ON CONFLICT DO NOTHING`,
    [JSON.stringify(rows)],
  );
  return res.rowCount ?? 0;
}

async function erasedIds(client: pg.PoolClient, drafts: readonly CanonicalDraft[]): Promise<Set<string>> {
  const keys = new Map<string, string>();
  for (const d of drafts) for (const k of idsOf(d)) keys.set(subjectHash(d.projectId, k.slice(0, k.indexOf(':')), k.slice(k.indexOf(':') + 1)), `${d.projectId}|${k}`);
  if (keys.size === 0) return new Set();
  const res = await client.query<{ subject_id: string }>('SELECT subject_id FROM braid.erased_subjects WHERE subject_id = ANY($1::text[])', [[...keys.keys()]]);
  return new Set(res.rows.map((r) => keys.get(r.subject_id) as string));
}

/**
 * The consent records that apply to each event: those of every identity of
 * the persons its ids belong to (consent given on one device covers the
 * person), and of its own ids.
 */
async function consentRecordsFor(client: pg.PoolClient, drafts: readonly CanonicalDraft[]): Promise<(d: CanonicalDraft) => ConsentRecord[]> {
  const wanted = drafts.flatMap((d) => idsOf(d).map((k) => ({ project_id: d.projectId, kind: k.slice(0, k.indexOf(':')), id: k.slice(k.indexOf(':') + 1) })));
  if (wanted.length === 0) return () => [];
  const res = await client.query<{ project_id: string; key: string; category: string; granted: boolean; effective_at: Date }>(
    `WITH wanted AS (SELECT DISTINCT * FROM jsonb_to_recordset($1::jsonb) AS x(project_id text, kind text, id text)),
     persons AS (
       SELECT w.project_id, w.kind || ':' || w.id AS key, i.person_id FROM wanted w
       LEFT JOIN braid.identities i ON i.project_id = w.project_id AND i.kind = w.kind AND i.id = w.id
     ),
     subjects AS (
       SELECT p.project_id, p.key, w.kind, w.id FROM persons p JOIN wanted w ON w.project_id = p.project_id AND w.kind || ':' || w.id = p.key
       UNION
       SELECT p.project_id, p.key, i.kind, i.id FROM persons p JOIN braid.identities i ON i.project_id = p.project_id AND i.person_id = p.person_id
     )
     SELECT s.project_id, s.key, c.category, c.granted, c.effective_at FROM subjects s
     JOIN braid.consent_records c ON c.project_id = s.project_id AND c.kind = s.kind AND c.subject_id = s.id`,
    [JSON.stringify(wanted)],
  );
  const byKey = new Map<string, ConsentRecord[]>();
  for (const r of res.rows) {
    const k = `${r.project_id}|${r.key}`;
    byKey.set(k, [...(byKey.get(k) ?? []), { category: r.category, granted: r.granted, effectiveAtMs: r.effective_at.getTime() }]);
  }
  return (d) => idsOf(d).flatMap((k) => byKey.get(`${d.projectId}|${k}`) ?? []);
}
