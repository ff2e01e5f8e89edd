import { and, asc, eq, gte, lt, sql } from 'drizzle-orm';
import { createDb, type Connection } from './client';
import { analyticsEvents } from './schema';

export interface JourneyEvent {
  eventId: string;
  eventTime: Date;
  channel: string;
  type: string;
  event: string | null;
  sessionId: string | null;
  userId: string | null;
  anonymousId: string | null;
  properties: Record<string, unknown>;
}

export interface JourneyWindow {
  /** ISO-8601; events at or after it. */
  from?: string;
  /** ISO-8601; events before it. */
  to?: string;
  limit: number;
}

/** One person's events across channels in event-time order (analytics.events: the person they belong to now). */
export async function personJourney(connection: Connection, projectId: string, personId: string, window: JourneyWindow): Promise<JourneyEvent[]> {
  const e = analyticsEvents;
  return createDb(connection)
    .select({
      eventId: e.eventId,
      eventTime: e.eventTime,
      channel: e.channel,
      type: e.type,
      event: e.event,
      sessionId: e.sessionId,
      userId: e.userId,
      anonymousId: e.anonymousId,
      properties: e.properties,
    })
    .from(e)
    .where(
      and(
        eq(e.projectId, projectId),
        eq(e.personId, personId),
        window.from === undefined ? undefined : gte(e.eventTime, sql`${window.from}::timestamptz`),
        window.to === undefined ? undefined : lt(e.eventTime, sql`${window.to}::timestamptz`),
      ),
    )
    .orderBy(asc(e.eventTime), asc(e.eventId))
    .limit(window.limit);
}
