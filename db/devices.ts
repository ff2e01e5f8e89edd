import type pg from 'pg';
import { deviceStage } from './staged-events';

export interface DeviceCounts {
  deviceKey: string;
  pending: number;
  held: number;
  /** Host workflows that have rows of this device staged (more than one only while `sessionHosts` changes). */
  stagedOn: string[];
  written: number;
  duplicates: number;
  suppressed: number;
  currentSession: { sessionId: string; startedAt: string; endedAt: string; eventCount: number } | null;
}

/**
 * What braid holds of one device: staged and held rows, what it wrote
 * (the sum of its sessions), its duplicates and suppressions, and its latest
 * session in event time. `deviceKeys` are the keys the device id may have
 * (`a:<id>` before `u:<id>`); the first with data wins.
 */
export async function describeDevice(pool: pg.Pool, projectId: string, channel: string, deviceKeys: readonly string[]): Promise<DeviceCounts | null> {
  for (const deviceKey of deviceKeys) {
    const [stage, sessions, ledgers] = await Promise.all([
      deviceStage(pool, projectId, channel, [deviceKey]),
      pool.query<{ written: number; session_id: string | null; started_at: Date | null; ended_at: Date | null; event_count: number | null }>(
        `SELECT (SELECT coalesce(sum(event_count), 0)::int FROM braid.sessions WHERE project_id = $1 AND channel = $2 AND device_key = $3) AS written,
           l.session_id, l.started_at, l.ended_at, l.event_count
         FROM (SELECT 1) one LEFT JOIN LATERAL (
           SELECT session_id, started_at, ended_at, event_count FROM braid.sessions
           WHERE project_id = $1 AND channel = $2 AND device_key = $3 ORDER BY ended_at DESC LIMIT 1) l ON true`,
        [projectId, channel, deviceKey],
      ),
      pool.query<{ duplicates: number; suppressed: number }>(
        `SELECT (SELECT count(*)::int FROM braid.duplicates WHERE project_id = $1 AND channel = $2 AND device_key = $3) AS duplicates,
           (SELECT count(*)::int FROM braid.suppressions WHERE project_id = $1 AND channel = $2 AND device_key = $3) AS suppressed`,
        [projectId, channel, deviceKey],
      ),
    ]);
    const s = sessions.rows[0];
    const l = ledgers.rows[0];
    const counts: DeviceCounts = {
      deviceKey,
      pending: stage.pending,
      held: stage.held,
      stagedOn: stage.hostIds,
      written: s?.written ?? 0,
      duplicates: l?.duplicates ?? 0,
      suppressed: l?.suppressed ?? 0,
      currentSession: s?.session_id
        ? { sessionId: s.session_id, startedAt: (s.started_at as Date).toISOString(), endedAt: (s.ended_at as Date).toISOString(), eventCount: s.event_count ?? 0 }
        : null,
    };
    if (counts.pending + counts.held + counts.written + counts.duplicates + counts.suppressed > 0) return counts;
  }
  return null;
}
