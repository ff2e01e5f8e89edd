import { bigint, integer, jsonb, pgSchema, text, timestamp } from 'drizzle-orm/pg-core';
import type { Transform } from '../../rules/transforms';

/**
 * The analyst views braid's own code reads, declared for typed queries. Their
 * SQL lives once in db/views/<name>.sql (`.existing()`: drizzle-kit leaves
 * them alone); test/integration/analytics-view-declarations.test.ts keeps the
 * columns here equal to the views'.
 */
const analytics = pgSchema('analytics');

export const analyticsEvents = analytics
  .view('events', {
    eventId: text().notNull(),
    projectId: text().notNull(),
    personId: text(),
    userId: text(),
    anonymousId: text(),
    sessionId: text(),
    channel: text().notNull(),
    type: text().notNull(),
    event: text(),
    eventTime: timestamp({ withTimezone: true }).notNull(),
    receivedAt: timestamp({ withTimezone: true }).notNull(),
    writtenAt: timestamp({ withTimezone: true }).notNull(),
    properties: jsonb().$type<Record<string, unknown>>().notNull(),
    traits: jsonb().$type<Record<string, unknown>>().notNull(),
    context: jsonb().$type<Record<string, unknown>>().notNull(),
  })
  .existing();

export const analyticsLineage = analytics
  .view('lineage', {
    eventId: text().notNull(),
    projectId: text().notNull(),
    sourceStream: text().notNull(),
    sourceSequence: bigint({ mode: 'number' }).notNull(),
    sourceSubject: text(),
    channel: text().notNull(),
    receivedAt: timestamp({ withTimezone: true }).notNull(),
    transforms: jsonb().$type<Transform[]>().notNull(),
    workflowId: text(),
    runId: text(),
    replayId: text(),
    backfillId: text(),
    destination: text().notNull(),
    writtenAt: timestamp({ withTimezone: true }).notNull(),
    flags: jsonb().$type<string[]>().notNull(),
    rulesVersion: integer(),
  })
  .existing();

export const analyticsRejectedEvents = analytics
  .view('rejected_events', {
    projectId: text(),
    channel: text(),
    receivedAt: timestamp({ withTimezone: true }).notNull(),
    messageId: text(),
    reason: text().notNull(),
    details: jsonb().$type<Record<string, unknown>>().notNull(),
    payload: jsonb(),
    sourceSequence: bigint({ mode: 'number' }).notNull(),
    sourceStream: text().notNull(),
    subject: text(),
    rejectedAt: timestamp({ withTimezone: true }).notNull(),
    resolvedAt: timestamp({ withTimezone: true }),
    resolvedBy: text(),
  })
  .existing();

/** The contract's accounting identity per project: accepted = canonical + rejected + suppressed + duplicates once drained. */
export const analyticsAccounting = analytics
  .view('accounting', {
    projectId: text().notNull(),
    accepted: bigint({ mode: 'number' }).notNull(),
    canonical: bigint({ mode: 'number' }).notNull(),
    rejected: bigint({ mode: 'number' }).notNull(),
    suppressed: bigint({ mode: 'number' }).notNull(),
    duplicates: bigint({ mode: 'number' }).notNull(),
  })
  .existing();
