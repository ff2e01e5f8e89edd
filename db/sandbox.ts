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
    return schema;
  });
}
