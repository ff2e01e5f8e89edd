import type pg from 'pg';

export interface RetentionResult {
  /** Partitions dropped whole: every project with rows in them had passed its retention. */
  droppedPartitions: string[];
  /** Rows deleted from partitions that still hold data others keep. */
  trimmedEvents: number;
}

/**
 * Per-project retention over the monthly partitions of canonical_events. A
 * partition whose every project has a retention that its whole month has
 * passed is dropped whole (with its events' ledger, lineage and receipts); in
 * the partitions that remain, each project's events older than its cutoff are
 * trimmed. Events without a retention are kept for ever. The accounting stays
 * exact: receipts of expired events go with them.
 */
export async function applyRetention(pool: pg.Pool, now = new Date()): Promise<RetentionResult> {
  const client = await pool.connect();
  try {
    const lock = await client.query<{ ok: boolean }>(`SELECT pg_try_advisory_lock(hashtext('braid:retention')) AS ok`);
    if (!lock.rows[0]?.ok) return { droppedPartitions: [], trimmedEvents: 0 };
    try {
      const projects = await client.query<{ project_id: string; cutoff: Date }>(
        `SELECT project_id, $1::timestamptz - make_interval(days => (settings->>'retentionDays')::int) AS cutoff
         FROM braid.projects WHERE settings ? 'retentionDays'`,
        [now],
      );
      const cutoffs = new Map(projects.rows.map((r) => [r.project_id, r.cutoff]));
      if (cutoffs.size === 0) return { droppedPartitions: [], trimmedEvents: 0 };

      const partitions = await client.query<{ name: string; upper: Date }>(
        `SELECT c.relname AS name, (to_timestamp(substring(c.relname from '[0-9]{6}$'), 'YYYYMM') AT TIME ZONE 'UTC' + interval '1 month') AT TIME ZONE 'UTC' AS upper
         FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
         WHERE i.inhparent = 'braid.canonical_events'::regclass AND c.relname ~ '^canonical_events_p[0-9]{6}$' ORDER BY 1`,
      );
      const droppedPartitions: string[] = [];
      for (const p of partitions.rows) {
        const present = await client.query<{ project_id: string }>(`SELECT DISTINCT project_id FROM braid.${p.name}`);
        if (present.rows.length === 0) continue;
        const expired = present.rows.every((r) => {
          const cutoff = cutoffs.get(r.project_id);
          return cutoff !== undefined && p.upper.getTime() <= cutoff.getTime();
        });
        if (!expired) continue;
        await client.query('BEGIN');
        try {
          await deleteCompanions(client, `SELECT project_id, event_id, source_stream, source_sequence FROM braid.${p.name}`);
          await client.query(`DELETE FROM braid.sessions s WHERE s.project_id = ANY($1::text[]) AND s.ended_at < $2`, [present.rows.map((r) => r.project_id), p.upper]);
          // Through the parent, so the rollup triggers count the events out; then the empty partition goes.
          await client.query(`DELETE FROM braid.canonical_events WHERE tableoid = 'braid.${p.name}'::regclass`);
          await client.query(`DROP TABLE braid.${p.name}`);
          await client.query('COMMIT');
          droppedPartitions.push(p.name);
        } catch (error) {
          await client.query('ROLLBACK');
          throw error;
        }
      }

      let trimmedEvents = 0;
      for (const [projectId, cutoff] of cutoffs) {
        await client.query('BEGIN');
        try {
          const expired = `SELECT project_id, event_id, source_stream, source_sequence FROM braid.canonical_events WHERE project_id = '${projectId.replace(/'/g, "''")}' AND event_time < '${cutoff.toISOString()}'`;
          await deleteCompanions(client, expired);
          const res = await client.query('DELETE FROM braid.canonical_events WHERE project_id = $1 AND event_time < $2', [projectId, cutoff]);
          await client.query('DELETE FROM braid.sessions WHERE project_id = $1 AND ended_at < $2', [projectId, cutoff]);
          trimmedEvents += res.rowCount ?? 0;
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK');
          throw error;
        }
      }
      return { droppedPartitions, trimmedEvents };
    } finally {
      await client.query(`SELECT pg_advisory_unlock(hashtext('braid:retention'))`);
    }
  } finally {
    client.release();
  }
}

/** The ledger, lineage, receipts and sessions of the events `selection` lists. */
async function deleteCompanions(client: pg.PoolClient, selection: string): Promise<void> {
  await client.query(`CREATE TEMP TABLE expired_events ON COMMIT DROP AS ${selection}`);
  await client.query(`DELETE FROM braid.event_ids e USING expired_events x WHERE e.project_id = x.project_id AND e.event_id = x.event_id`);
  await client.query(`DELETE FROM braid.lineage l USING expired_events x WHERE l.project_id = x.project_id AND l.event_id = x.event_id`);
  await client.query(`DELETE FROM braid.receipts r USING expired_events x WHERE r.source_stream = x.source_stream AND r.source_sequence = x.source_sequence`);
  await client.query(
    `DELETE FROM braid.receipts r USING braid.duplicates d, expired_events x
     WHERE d.project_id = x.project_id AND d.message_id = x.event_id AND r.source_stream = d.source_stream AND r.source_sequence = d.source_sequence`,
  );
  await client.query(`DELETE FROM braid.duplicates d USING expired_events x WHERE d.project_id = x.project_id AND d.message_id = x.event_id`);
}
