import { and, eq } from 'drizzle-orm';
import { anyOf } from './bulk';
import { createDb, type Connection } from './client';
import { writeTables } from './write-tables';

/** Where each of these events of a project was first written from (stream and position), for those the ledger holds. */
export async function eventSources(connection: Connection, schema: string, projectId: string, eventIdList: readonly string[]) {
  const t = writeTables(schema).eventIds;
  return createDb(connection)
    .select({ eventId: t.eventId, sourceStream: t.sourceStream, sourceSequence: t.sourceSequence })
    .from(t)
    .where(and(eq(t.projectId, projectId), anyOf(t.eventId, eventIdList)));
}
