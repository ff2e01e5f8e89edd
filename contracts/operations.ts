import { z } from 'zod';
import { CHANNEL_PATTERN, PROJECT_ID_PATTERN } from './envelope';

const isoTime = z.iso.datetime({ offset: true, message: 'an ISO-8601 time with an offset, e.g. 2026-01-31T00:00:00Z' });

/** `POST /api/replays` */
export const createReplaySchema = z
  .object({
    projectId: z.string().regex(PROJECT_ID_PATTERN, 'a project id'),
    from: isoTime,
    to: isoTime,
    channels: z.array(z.string().regex(CHANNEL_PATTERN, 'a channel name')).min(1).optional(),
    events: z.array(z.string().min(1).max(200)).min(1).optional(),
    target: z.enum(['production', 'sandbox']),
    /** Also re-run messages that were rejected, e.g. after their schema was fixed. */
    includeRejected: z.boolean().default(true),
    /** Only the devices of this canary's arm (a rolled-back canary's events under the restored rules). */
    canary: z.string().regex(/^[a-z0-9_]{1,40}$/, 'a canary id').optional(),
  })
  .strict()
  .refine((r) => Date.parse(r.from) < Date.parse(r.to), { message: '`from` must be before `to`', path: ['from'], params: { code: 'invalid_range' } });

export type CreateReplay = z.output<typeof createReplaySchema>;

/** `POST /api/backfills` */
export const createBackfillSchema = z
  .object({
    projectId: z.string().regex(PROJECT_ID_PATTERN, 'a project id'),
    source: z.string().min(1, 'a file path or an http(s) URL the workers can read'),
    format: z.literal('segment-jsonl').default('segment-jsonl'),
    /** The channel the events came from (a write key's channel for Segment exports). */
    channel: z.string().regex(CHANNEL_PATTERN, 'a channel name').default('backend'),
  })
  .strict();

export type CreateBackfill = z.output<typeof createBackfillSchema>;

export const OPERATION_STATUSES = ['pending', 'running', 'paused', 'completed', 'failed', 'cancelled'] as const;
export type OperationStatus = (typeof OPERATION_STATUSES)[number];
export type OperationKind = 'replay' | 'backfill' | 'erasure';

/** Counts a replay or backfill reports. */
export interface OperationCounts {
  read: number;
  written: number;
  unchanged: number;
  rejected: number;
  suppressed: number;
  duplicates: number;
  [other: string]: number;
}

export const emptyCounts = (): OperationCounts => ({ read: 0, written: 0, unchanged: 0, rejected: 0, suppressed: 0, duplicates: 0 });

/** `POST /api/erasures`: one subject, by person id, user id or anonymous id. */
export const createErasureSchema = z
  .object({
    projectId: z.string().regex(PROJECT_ID_PATTERN, 'a project id'),
    mode: z.enum(['suppress', 'suppress_and_delete', 'delete', 'unsuppress']),
    personId: z.string().min(1).optional(),
    userId: z.string().min(1).optional(),
    anonymousId: z.string().min(1).optional(),
  })
  .strict()
  .refine((b) => [b.personId, b.userId, b.anonymousId].filter((x) => x !== undefined).length === 1, {
    message: 'exactly one of personId, userId or anonymousId',
    path: ['personId'],
  });
