import type pg from 'pg';
import { devicesOfEvents, updateChangedCanonical } from '../db/canonical-events';
import { resolveRejections, unresolvedRejections } from '../db/rejected-events';
import { sourceKey } from '../rules/source-key';
import { transform } from '../rules/transforms';
import type { SessionScope } from '../rules/sessionize';
import { canonicalRow, insertCanonical, insertLineage, loadSources, PRODUCTION, splitInBatchRepeats, type WriteTarget } from './canonical-events';
import type { CanonicalDraft } from './canonical-events.types';
import { admit } from './admission';
import { linkIdentities } from './identities';
import { rebuildDeviceSessions } from './sessions';

export interface ReplaceResult {
  /** Rows whose content changed under today's rules, plus rejected messages that now became canonical. */
  written: number;
  /** Rows today's rules leave as they were: the row is not rewritten, only its lineage row for this replay. */
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
 * lineage row naming the replay for every row it decided again (changed or
 * not, as the contract's lineage says); turns previously rejected messages into
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
  const updated = await updateChangedCanonical(client, sameSource.map(withTransforms).map(canonicalRow));
  // Only the devices whose rows changed (before and after) need their sessions rebuilt.
  const previousDevices = [...updated].flatMap((id) => (previousDevice.has(id) ? [previousDevice.get(id) as SessionScope] : []));

  const rejectedBefore = new Set((await unresolvedRejections(client, missing.map((e) => e.source))).map((source) => sourceKey({ source })));
  const toInsert = missing.filter((e) => options.includeRejected || !rejectedBefore.has(sourceKey(e)));
  const inserted = await insertCanonical(client, toInsert.map(withTransforms), target);
  const resolved = await resolveRejections(client, toInsert.filter((e) => inserted.has(e.messageId)).map((e) => e.source), options.replayId);

  const written = [...sameSource.filter((e) => updated.has(e.messageId)), ...toInsert.filter((e) => inserted.has(e.messageId))].map(withTransforms);
  // Every event the replay decided again gets its lineage row (contract §5), changed or not:
  // an unchanged row is not rewritten, but the lineage says this replay saw it and kept it.
  const unchanged = sameSource.filter((e) => !updated.has(e.messageId)).map(withTransforms);
  await insertLineage(client, [...written, ...unchanged], options, target);
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

/** The device each event's stored row belongs to now. */
async function devicesOf(client: pg.PoolClient, events: CanonicalDraft[]): Promise<Map<string, SessionScope>> {
  if (events.length === 0) return new Map();
  const rows = await devicesOfEvents(client, events[0]!.projectId, events.map((e) => e.messageId));
  return new Map(rows.map((r) => [r.eventId, { projectId: r.projectId, channel: r.channel, deviceKey: r.deviceKey }]));
}
