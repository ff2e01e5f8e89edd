import type pg from 'pg';
import { transform } from '../rules/transforms';
import type { SessionScope } from '../rules/sessionize';
import { CANONICAL_COLUMNS, canonicalRow, insertCanonical, insertLineage, loadSources, PRODUCTION, splitInBatchRepeats, type SessionedDraft, type WriteTarget } from './canonical-events';
import type { CanonicalDraft } from './canonical-events.types';
import { admit } from './admission';
import { linkIdentities } from './identities';
import { rebuildDeviceSessions } from './sessions';

export interface ReplaceResult {
  /** Rows whose content changed under today's rules, plus rejected messages that now became canonical. */
  written: number;
  /** Rows today's rules leave as they were: nothing written. */
  unchanged: number;
  /** Messages whose messageId another stream position wrote: still duplicates. */
  duplicates: number;
  /** Previously rejected messages that are now canonical. */
  resolved: number;
  /** Previously rejected messages left alone because the replay excludes rejected ones. */
  skipped: number;
  /** Messages today's consent or erasure rules drop (rows already written are left as they are). */
  suppressed: number;
}

/**
 * A production replay's write: replaces the canonical rows of these messages
 * in place (same event ids) when today's rules give a different row, with a
 * lineage row naming the replay; turns previously rejected messages into
 * canonical events when asked to; rebuilds the sessions of every device it
 * touched. Idempotent: lineage is unique per (event, replay), and an
 * unchanged row is not written.
 */
export async function replaceCanonical(
  client: pg.PoolClient,
  events: CanonicalDraft[],
  options: { replayId: string; workflowId: string; runId: string; sessionTimeoutMs: number; includeRejected: boolean },
): Promise<ReplaceResult> {
  const target: WriteTarget = { ...PRODUCTION, replayId: options.replayId };
  const admission = await admit(client, events, () => true);
  const { unique, inBatchRepeats } = splitInBatchRepeats(admission.allowed);
  const sources = await loadSources(client, target.schema, unique);
  const sameSource = unique.filter((e) => {
    const s = sources.get(e.messageId);
    return s !== undefined && s.stream === e.source.stream && s.sequence === e.source.sequence;
  });
  const otherSource = unique.filter((e) => sources.has(e.messageId) && !sameSource.includes(e));
  const missing = unique.filter((e) => !sources.has(e.messageId));

  const withTransforms = (e: CanonicalDraft) => ({ ...e, sessionId: null, transforms: [...e.transforms, transform('sessionize')] });
  const previousDevice = await devicesOf(client, sameSource);
  const updated = await updateChanged(client, sameSource.map(withTransforms));
  // Only the devices whose rows changed (before and after) need their sessions rebuilt.
  const previousDevices = [...updated].flatMap((id) => (previousDevice.has(id) ? [previousDevice.get(id) as SessionScope] : []));

  const rejectedBefore = await rejectedSources(client, missing);
  const toInsert = missing.filter((e) => options.includeRejected || !rejectedBefore.has(sourceKey(e)));
  const inserted = await insertCanonical(client, toInsert.map(withTransforms), target);
  const resolved = await resolveRejections(client, toInsert.filter((e) => inserted.has(e.messageId)), options.replayId);

  const written = [...sameSource.filter((e) => updated.has(e.messageId)), ...toInsert.filter((e) => inserted.has(e.messageId))].map(withTransforms);
  await insertLineage(client, written, options, target);
  const touched: SessionScope[] = [...previousDevices, ...written.map((e) => ({ projectId: e.projectId, channel: e.channel, deviceKey: e.deviceKey }))];
  await rebuildDeviceSessions(client, target.schema, touched, options.sessionTimeoutMs);
  await linkIdentities(client, written);
  return {
    written: written.length,
    unchanged: sameSource.length - updated.size,
    duplicates: otherSource.length + inBatchRepeats.length,
    resolved,
    skipped: missing.length - toInsert.length,
    suppressed: admission.suppressed.length,
  };
}

const CONTENT_COLUMNS = [
  'channel', 'type', 'event', 'name', 'user_id', 'anonymous_id', 'previous_id', 'group_id', 'device_key', 'client_session_id',
  'event_time', 'client_timestamp', 'sent_at', 'received_at', 'properties', 'traits', 'context', 'flags',
];

/** Updates the rows whose content differs; returns the event ids it changed. */
async function updateChanged(client: pg.PoolClient, events: SessionedDraft[]): Promise<Set<string>> {
  if (events.length === 0) return new Set();
  const rows = events.map(canonicalRow);
  // A changed event time moves the row to its partition; the ledger follows.
  const res = await client.query<{ event_id: string }>(
    `WITH updated AS (
       UPDATE braid.canonical_events c SET ${CONTENT_COLUMNS.map((col) => `${col} = x.${col}`).join(', ')}, written_at = now()
       FROM jsonb_to_recordset($1::jsonb) AS x(${CANONICAL_COLUMNS})
       WHERE c.project_id = x.project_id AND c.event_id = x.event_id
         AND c.source_stream = x.source_stream AND c.source_sequence = x.source_sequence
         AND (${CONTENT_COLUMNS.map((col) => `c.${col}`).join(', ')}) IS DISTINCT FROM (${CONTENT_COLUMNS.map((col) => `x.${col}`).join(', ')})
       RETURNING c.project_id, c.event_id, c.event_time
     ), ledger AS (
       UPDATE braid.event_ids e SET event_time = u.event_time FROM updated u
       WHERE e.project_id = u.project_id AND e.event_id = u.event_id AND e.event_time IS DISTINCT FROM u.event_time
     )
     SELECT event_id FROM updated`,
    [JSON.stringify(rows)],
  );
  return new Set(res.rows.map((r) => r.event_id));
}

/** The device each event's stored row belongs to now. */
async function devicesOf(client: pg.PoolClient, events: CanonicalDraft[]): Promise<Map<string, SessionScope>> {
  if (events.length === 0) return new Map();
  const res = await client.query<{ event_id: string; project_id: string; channel: string; device_key: string }>(
    `SELECT event_id, project_id, channel, device_key FROM braid.canonical_events WHERE project_id = $1 AND event_id = ANY($2::text[])`,
    [events[0]!.projectId, events.map((e) => e.messageId)],
  );
  return new Map(res.rows.map((r) => [r.event_id, { projectId: r.project_id, channel: r.channel, deviceKey: r.device_key }]));
}

const sourceKey = (e: { source: { stream: string; sequence: number } }) => `${e.source.stream}#${e.source.sequence}`;

async function rejectedSources(client: pg.PoolClient, events: CanonicalDraft[]): Promise<Set<string>> {
  if (events.length === 0) return new Set();
  const res = await client.query<{ source_stream: string; source_sequence: number }>(
    `SELECT source_stream, source_sequence FROM braid.rejected_events r
     JOIN jsonb_to_recordset($1::jsonb) AS x(stream text, sequence bigint) ON r.source_stream = x.stream AND r.source_sequence = x.sequence
     WHERE r.resolved_at IS NULL`,
    [JSON.stringify(events.map((e) => e.source))],
  );
  return new Set(res.rows.map((r) => `${r.source_stream}#${r.source_sequence}`));
}

async function resolveRejections(client: pg.PoolClient, events: CanonicalDraft[], replayId: string): Promise<number> {
  if (events.length === 0) return 0;
  const res = await client.query(
    `UPDATE braid.rejected_events r SET resolved_at = now(), resolved_by = $2
     FROM jsonb_to_recordset($1::jsonb) AS x(stream text, sequence bigint)
     WHERE r.source_stream = x.stream AND r.source_sequence = x.sequence AND r.resolved_at IS NULL`,
    [JSON.stringify(events.map((e) => e.source)), replayId],
  );
  return res.rowCount ?? 0;
}
