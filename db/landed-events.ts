import { and, asc, eq, like, sql } from 'drizzle-orm';
import type { Transform } from '../rules/transforms';
import { createDb, type Connection } from './client';
import { analyticsEvents, analyticsLineage, analyticsRejectedEvents } from './schema';

/**
 * What landed of a batch of messages whose ids share a prefix (a demo run, a
 * test story): their canonical events with lineage, and their rejections,
 * as analysts see them in the analytics views.
 */

export interface LandedEvent {
  eventId: string;
  eventTime: Date;
  channel: string;
  type: string;
  event: string | null;
  personId: string | null;
  sessionId: string | null;
  sourceSequence: number;
  transforms: Transform[];
}

export interface LandedRejection {
  messageId: string | null;
  reason: string;
  /** What the sender should fix (`details.message`). */
  message: string | null;
}

const startsWith = (prefix: string) => `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** The messages' canonical events, one row per write (its lineage), in event-time order. */
export async function landedEvents(connection: Connection, projectId: string, messageIdPrefix: string): Promise<LandedEvent[]> {
  const e = analyticsEvents;
  const l = analyticsLineage;
  return createDb(connection)
    .select({
      eventId: e.eventId,
      eventTime: e.eventTime,
      channel: e.channel,
      type: e.type,
      event: e.event,
      personId: e.personId,
      sessionId: e.sessionId,
      sourceSequence: l.sourceSequence,
      transforms: l.transforms,
    })
    .from(e)
    .innerJoin(l, and(eq(l.projectId, e.projectId), eq(l.eventId, e.eventId)))
    .where(and(eq(e.projectId, projectId), like(e.eventId, startsWith(messageIdPrefix))))
    .orderBy(asc(e.eventTime));
}

/** The messages' rejections. */
export async function landedRejections(connection: Connection, projectId: string, messageIdPrefix: string): Promise<LandedRejection[]> {
  const r = analyticsRejectedEvents;
  return createDb(connection)
    .select({ messageId: r.messageId, reason: r.reason, message: sql<string | null>`${r.details}->>'message'` })
    .from(r)
    .where(and(eq(r.projectId, projectId), like(r.messageId, startsWith(messageIdPrefix))));
}
