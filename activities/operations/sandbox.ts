import type pg from 'pg';
import { inTransaction } from '../../db/transaction';

/** `sandbox_<replayId>`: a plain identifier, since operation ids match ^[a-z0-9_]{1,40}$. */
export function sandboxSchema(replayId: string): string {
  if (!/^[a-z0-9_]{1,40}$/.test(replayId)) throw new Error(`not an operation id: ${replayId}`);
  return `sandbox_${replayId}`;
}

/**
 * Creates a sandbox replay's schema: its own canonical events (one plain
 * table), event ledger, lineage and sessions, and the same `events` view analysts know (persons from
 * production's identity graph). Idempotent.
 */
export async function createSandbox(pool: pg.Pool, replayId: string): Promise<string> {
  const schema = sandboxSchema(replayId);
  return inTransaction(pool, async (client) => {
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    for (const table of ['canonical_events', 'event_ids', 'lineage', 'sessions']) {
      await client.query(`CREATE TABLE IF NOT EXISTS ${schema}.${table} (LIKE braid.${table} INCLUDING ALL)`);
    }
    await client.query(`
      CREATE OR REPLACE VIEW ${schema}.events AS
      SELECT e.event_id, e.project_id, COALESCE(u.person_id, a.person_id) AS person_id, e.user_id, e.anonymous_id,
             e.session_id, e.channel, e.type, COALESCE(e.event, e.name) AS event, e.event_time, e.received_at,
             e.written_at, e.properties, e.traits, e.context
      FROM ${schema}.canonical_events e
      LEFT JOIN braid.identities u ON u.project_id = e.project_id AND u.kind = 'user' AND u.id = e.user_id
      LEFT JOIN braid.identities a ON a.project_id = e.project_id AND a.kind = 'anonymous' AND a.id = e.anonymous_id`);
    return schema;
  });
}
