import type pg from 'pg';
import type { PreparedEvent } from '../rules/prepared-event';
import { sourceKey } from '../rules/source-key';

/** An accepted event with its device (and its W3C traceparent when it has one), on its way to the host that drains it. */
export type DeviceEvent = PreparedEvent & { deviceKey: string; traceparent?: string };

export interface StagedEvent {
  deviceKey: string;
  event: PreparedEvent & { traceparent?: string };
  /** When ingest staged it (ms). */
  stagedAtMs: number;
  /** When the event's consent hold ends, or null when it is not held. */
  holdUntilMs: number | null;
}

/**
 * Stages accepted events for their hosts: the claim check that the notice
 * signal refers to. A redelivered message is staged once (its source
 * position is the key).
 */
export async function stageEvents(db: pg.Pool | pg.PoolClient, hostId: string, events: readonly DeviceEvent[]): Promise<void> {
  if (events.length === 0) return;
  const rows = events.map((event) => ({
    source_stream: event.source.stream,
    source_sequence: event.source.sequence,
    project_id: event.projectId,
    host_id: hostId,
    channel: event.channel,
    device_key: event.deviceKey,
    event,
  }));
  await db.query(
    `INSERT INTO braid.staged_events (source_stream, source_sequence, project_id, host_id, channel, device_key, event)
     SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(source_stream text, source_sequence bigint, project_id text,
       host_id text, channel text, device_key text, event jsonb)
     ORDER BY source_stream, source_sequence
     ON CONFLICT DO NOTHING`,
    [JSON.stringify(rows)],
  );
}

export interface TakeStaged {
  hostId: string;
  /** Rows after this source sequence (a drain pass walks the host's rows in order). */
  afterSequence: number;
  /** Held rows too, not only those whose hold is over (consent changed). */
  recheckHeld: boolean;
  limit: number;
}

/** The next rows of a host in source order: new ones, held ones whose hold is over, and all held ones on a recheck. */
export async function takeStaged(db: pg.Pool | pg.PoolClient, take: TakeStaged): Promise<StagedEvent[]> {
  const res = await db.query<{ device_key: string; event: PreparedEvent & { traceparent?: string }; hold_until: Date | null; staged_at: Date }>(
    `SELECT device_key, event, hold_until, staged_at FROM braid.staged_events
     WHERE host_id = $1 AND source_sequence > $2 AND (hold_until IS NULL OR $3 OR hold_until <= now())
     ORDER BY source_sequence LIMIT $4`,
    [take.hostId, take.afterSequence, take.recheckHeld, take.limit],
  );
  return res.rows.map((r) => ({ deviceKey: r.device_key, event: r.event, holdUntilMs: r.hold_until?.getTime() ?? null, stagedAtMs: r.staged_at.getTime() }));
}

/**
 * After a drain's write, in its transaction: the rows it decided leave the
 * stage; the ones it held stay, keeping the deadline they had or getting
 * one `holdMs` from now.
 */
export async function settleStaged(client: pg.PoolClient, taken: readonly StagedEvent[], heldSourceKeys: readonly string[], holdMs: number): Promise<void> {
  const held = new Set(heldSourceKeys);
  const done = taken.filter((e) => !held.has(sourceKey(e.event)));
  const kept = taken.filter((e) => held.has(sourceKey(e.event)) && e.holdUntilMs === null);
  if (done.length > 0) {
    await client.query(
      `DELETE FROM braid.staged_events s USING unnest($1::text[], $2::bigint[]) AS d(stream, seq)
       WHERE s.source_stream = d.stream AND s.source_sequence = d.seq`,
      [done.map((e) => e.event.source.stream), done.map((e) => e.event.source.sequence)],
    );
  }
  if (kept.length > 0) {
    await client.query(
      `UPDATE braid.staged_events s SET hold_until = now() + make_interval(secs => $3::double precision / 1000)
       FROM unnest($1::text[], $2::bigint[]) AS d(stream, seq)
       WHERE s.source_stream = d.stream AND s.source_sequence = d.seq AND s.hold_until IS NULL`,
      [kept.map((e) => e.event.source.stream), kept.map((e) => e.event.source.sequence), holdMs],
    );
  }
}

/** When the earliest held row of a host is due, or null when it holds nothing. */
export async function nextHoldDeadline(db: pg.Pool | pg.PoolClient, hostId: string): Promise<number | null> {
  const res = await db.query<{ due: Date | null }>(`SELECT min(hold_until) AS due FROM braid.staged_events WHERE host_id = $1 AND hold_until IS NOT NULL`, [hostId]);
  return res.rows[0]?.due?.getTime() ?? null;
}

/** Rows a project has staged and not yet drained (held ones included). */
export async function countStaged(db: pg.Pool | pg.PoolClient, projectId: string): Promise<number> {
  const res = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM braid.staged_events WHERE project_id = $1`, [projectId]);
  return res.rows[0]?.n ?? 0;
}

/** Hosts of a project that hold opt-in events (consent changes wake them). */
export async function hostsHoldingEvents(db: pg.Pool, projectId: string): Promise<string[]> {
  const res = await db.query<{ host_id: string }>(`SELECT DISTINCT host_id FROM braid.staged_events WHERE project_id = $1 AND hold_until IS NOT NULL`, [projectId]);
  return res.rows.map((r) => r.host_id);
}

export interface DeviceStage {
  pending: number;
  held: number;
  hostIds: string[];
}

/** What of one device waits in the stage. */
export async function deviceStage(db: pg.Pool, projectId: string, channel: string, deviceKeys: readonly string[]): Promise<DeviceStage> {
  const res = await db.query<{ pending: number; held: number; host_ids: string[] | null }>(
    `SELECT count(*) FILTER (WHERE hold_until IS NULL)::int AS pending, count(*) FILTER (WHERE hold_until IS NOT NULL)::int AS held,
       array_agg(DISTINCT host_id) FILTER (WHERE host_id IS NOT NULL) AS host_ids
     FROM braid.staged_events WHERE project_id = $1 AND channel = $2 AND device_key = ANY($3::text[])`,
    [projectId, channel, deviceKeys],
  );
  const row = res.rows[0];
  return { pending: row?.pending ?? 0, held: row?.held ?? 0, hostIds: row?.host_ids ?? [] };
}
