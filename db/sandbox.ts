import { sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type pg from 'pg';
import { qualifiedList } from './bulk';
import { createDb } from './client';
import { braid, identities } from './schema';
import { inTransaction } from './transaction';
import { writeTables, type WriteTables } from './write-tables';

/** `sandbox_<replayId>`: a plain identifier, since operation ids match ^[a-z0-9_]{1,40}$. */
export function sandboxSchema(replayId: string): string {
  if (!/^[a-z0-9_]{1,40}$/.test(replayId)) throw new Error(`not an operation id: ${replayId}`);
  return `sandbox_${replayId}`;
}

/** The tables a sandbox copies from production, in the order it creates them. */
const COPIED: readonly (keyof WriteTables)[] = ['canonicalEvents', 'eventIds', 'lineage', 'sessions'];

/**
 * Creates a sandbox replay's schema: its own canonical events (one plain
 * table), event ledger, lineage and sessions, and the same `events` view analysts know (persons from
 * production's identity graph). Idempotent.
 */
export async function createSandbox(pool: pg.Pool, replayId: string): Promise<string> {
  const schema = sandboxSchema(replayId);
  const production = writeTables(braid.schemaName);
  const sandbox = writeTables(schema);
  const e = alias(sandbox.canonicalEvents, 'e');
  const u = alias(identities, 'u');
  const a = alias(identities, 'a');
  return inTransaction(pool, async (client) => {
    const db = createDb(client);
    await db.execute(sql`CREATE SCHEMA IF NOT EXISTS ${sql.identifier(schema)}`);
    for (const table of COPIED) {
      await db.execute(sql`CREATE TABLE IF NOT EXISTS ${sandbox[table]} (LIKE ${production[table]} INCLUDING ALL)`);
    }
    await db.execute(sql`
      CREATE OR REPLACE VIEW ${sql.identifier(schema)}.${sql.identifier('events')} AS
      SELECT ${e.eventId}, ${e.projectId}, COALESCE(${u.personId}, ${a.personId}) AS person_id, ${e.userId}, ${e.anonymousId},
             ${qualifiedList(e, ['sessionId', 'channel', 'type'])}, COALESCE(${e.event}, ${e.name}) AS event,
             ${qualifiedList(e, ['eventTime', 'receivedAt', 'writtenAt', 'properties', 'traits', 'context'])}
      FROM ${sandbox.canonicalEvents} AS ${e}
      LEFT JOIN ${identities} AS ${u} ON ${u.projectId} = ${e.projectId} AND ${u.kind} = 'user' AND ${u.id} = ${e.userId}
      LEFT JOIN ${identities} AS ${a} ON ${a.projectId} = ${e.projectId} AND ${a.kind} = 'anonymous' AND ${a.id} = ${e.anonymousId}`);
    // The API shows a sandbox's diff; operators read it like production.
    await db.execute(sql`GRANT USAGE ON SCHEMA ${sql.identifier(schema)} TO braid_api, braid_operator`);
    await db.execute(sql`GRANT SELECT ON ALL TABLES IN SCHEMA ${sql.identifier(schema)} TO braid_api, braid_operator`);
    return schema;
  });
}

/** What a sandbox replay would change in production: rows compared by event id, with samples of the changed ones. */
export interface SandboxDiff {
  sandboxRows: number;
  /** Sandbox rows production has too, with the same content. */
  same: number;
  /** Sandbox rows production has with different content: what promoting the rules would rewrite. */
  changed: number;
  /** Sandbox rows production does not have (e.g. previously rejected messages the new rules accept). */
  onlyInSandbox: number;
  samples: { eventId: string; columns: string[] }[];
}

/** The columns whose difference a product team would see in analytics.events. */
const DIFF_COLUMNS = ['channel', 'type', 'event', 'name', 'user_id', 'anonymous_id', 'event_time', 'properties', 'traits', 'context', 'flags'] as const;

/** Compares a sandbox replay's canonical events with production's, by event id. */
export async function sandboxDiff(pool: pg.Pool, replayId: string, projectId: string, samples = 20): Promise<SandboxDiff> {
  const schema = sandboxSchema(replayId);
  const sandbox = writeTables(schema).canonicalEvents;
  const production = writeTables(braid.schemaName).canonicalEvents;
  const s = alias(sandbox, 's');
  const p = alias(production, 'p');
  const differs = DIFF_COLUMNS.map((c) => sql`CASE WHEN s.${sql.identifier(c)} IS DISTINCT FROM p.${sql.identifier(c)} THEN ${c} END`);
  const res = await createDb(pool).execute<{ sandbox_rows: string; same: string; changed: string; only_in_sandbox: string; samples: SandboxDiff['samples'] | null }>(sql`
    WITH d AS (
      SELECT s.event_id, p.event_id IS NOT NULL AS in_production,
             array_remove(ARRAY[${sql.join(differs, sql`, `)}]::text[], NULL) AS columns
      FROM ${sandbox} AS ${s} LEFT JOIN ${production} AS ${p} ON p.project_id = s.project_id AND p.event_id = s.event_id
      WHERE s.project_id = ${projectId}
    )
    SELECT count(*) AS sandbox_rows,
           count(*) FILTER (WHERE in_production AND cardinality(columns) = 0) AS same,
           count(*) FILTER (WHERE in_production AND cardinality(columns) > 0) AS changed,
           count(*) FILTER (WHERE NOT in_production) AS only_in_sandbox,
           (SELECT jsonb_agg(jsonb_build_object('eventId', x.event_id, 'columns', x.columns)) FROM (
              SELECT event_id, columns FROM d WHERE in_production AND cardinality(columns) > 0 ORDER BY event_id LIMIT ${samples}) x) AS samples
    FROM d`);
  const r = res.rows[0];
  return {
    sandboxRows: Number(r?.sandbox_rows ?? 0),
    same: Number(r?.same ?? 0),
    changed: Number(r?.changed ?? 0),
    onlyInSandbox: Number(r?.only_in_sandbox ?? 0),
    samples: r?.samples ?? [],
  };
}
