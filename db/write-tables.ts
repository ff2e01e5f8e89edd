import { pgSchema } from 'drizzle-orm/pg-core';
import { braid, canonicalEvents, canonicalEventsColumns, eventIds, eventIdsColumns, lineage, lineageColumns, sessions, sessionsColumns } from './schema';

function tablesIn(schemaName: string) {
  const schema = pgSchema(schemaName);
  return {
    canonicalEvents: schema.table('canonical_events', canonicalEventsColumns()),
    eventIds: schema.table('event_ids', eventIdsColumns()),
    lineage: schema.table('lineage', lineageColumns()),
    sessions: schema.table('sessions', sessionsColumns()),
  };
}

/** The tables a write of canonical events goes to: its events, their ledger, lineage and sessions. */
export type WriteTables = ReturnType<typeof tablesIn>;

const BRAID: WriteTables = { canonicalEvents, eventIds, lineage, sessions };
const sandboxes = new Map<string, WriteTables>();

/**
 * The write tables of a schema: braid's own, or the copies a sandbox replay
 * writes to (`sandbox_<id>`, same columns: db/sandbox.ts creates them).
 */
export function writeTables(schemaName: string): WriteTables {
  if (schemaName === braid.schemaName) return BRAID;
  let tables = sandboxes.get(schemaName);
  if (!tables) {
    tables = tablesIn(schemaName);
    sandboxes.set(schemaName, tables);
  }
  return tables;
}
