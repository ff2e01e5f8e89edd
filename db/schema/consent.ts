import { bigint, bigserial, boolean, customType, date, index, integer, primaryKey, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { braid } from './braid-schema';

const bytea = customType<{ data: Buffer }>({ dataType: () => 'bytea' });

/** Consent decisions per identity and category, each with the event time it took effect. */
export const consentRecords = braid.table(
  'consent_records',
  {
    recordId: bigserial({ mode: 'number' }).primaryKey(),
    projectId: text().notNull(),
    kind: text().$type<'user' | 'anonymous'>().notNull(),
    subjectId: text().notNull(),
    category: text().notNull(),
    granted: boolean().notNull(),
    effectiveAt: timestamp({ withTimezone: true, precision: 3 }).notNull(),
    source: text().$type<'event' | 'api'>().notNull(),
    eventId: text(),
    recordedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index().on(t.projectId, t.kind, t.subjectId, t.category, t.effectiveAt),
    // An event's consent is recorded once however often its write is retried.
    uniqueIndex('consent_records_once').on(t.projectId, t.kind, t.subjectId, t.category, t.effectiveAt, t.eventId),
  ],
);

/**
 * One row per message dropped for consent or erasure: where it was in its
 * source and why, nothing of its content. Counted in
 * analytics.consent_suppressions and in the accounting.
 */
export const suppressions = braid.table(
  'suppressions',
  {
    sourceStream: text().notNull(),
    sourceSequence: bigint({ mode: 'number' }).notNull(),
    projectId: text().notNull(),
    channel: text().notNull(),
    day: date().notNull(),
    category: text().notNull(),
    reason: text().notNull(),
    /** The device the suppressed event came from; null before 0015. */
    deviceKey: text(),
    /** The project rules version that suppressed it; null before 0031. */
    rulesVersion: integer(),
    recordedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.sourceStream, t.sourceSequence] }), index().on(t.projectId, t.day), index().on(t.projectId, t.channel, t.deviceKey)],
);

/**
 * Ids whose events braid drops (erasure modes suppress and suppress_and_delete,
 * and during a delete). `subjectId` holds a SHA-256 of project, kind and id
 * (db/secrets.ts subjectHash): the erased id itself is never kept.
 */
export const erasedSubjects = braid.table(
  'erased_subjects',
  {
    projectId: text().notNull(),
    kind: text().$type<'user' | 'anonymous'>().notNull(),
    subjectId: text().notNull(),
    operationId: text().notNull(),
    /** `suppress`: for good until unsuppressed; `erasing`: only while a delete runs. */
    state: text().$type<'suppress' | 'erasing'>().notNull(),
    since: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.kind, t.subjectId] })],
);

/** Per-project secrets (the PII pseudonymization key); never logged, never in a view. */
export const projectSecrets = braid.table('project_secrets', {
  projectId: text().primaryKey(),
  piiKey: bytea().notNull(),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
});
