import { z } from 'zod';
import { conversionWindow, stepList } from './analysis';
import { settingsPatchSchema } from './project';

/** Settings a canary may change: the rules that decide events. Channels, hosting and retention change the deployment, not the rules, and go through `PATCH /api/projects/:p`. */
export const CANARY_SETTINGS = [
  'consentMode',
  'consentHoldSeconds',
  'requiredConsent',
  'sessionTimeoutMinutes',
  'skewToleranceSeconds',
  'namingConvention',
  'piiPolicy',
  'trackingPlan',
] as const;

const NOT_CANARIED = ['channels', 'sessionHosts', 'retentionDays', 'name'] as const;

/** The `changes` of a canary: part of a `PATCH /api/projects/:p` body, rule settings only. */
export const canaryChangesSchema = z
  .record(z.string(), z.unknown())
  .superRefine((changes, ctx) => {
    for (const key of Object.keys(changes)) {
      if ((NOT_CANARIED as readonly string[]).includes(key)) {
        ctx.addIssue({ code: 'custom', path: [key], message: `${key} cannot be tried on a share of devices; change it with PATCH /api/projects/:p` });
      } else if (!(CANARY_SETTINGS as readonly string[]).includes(key)) {
        ctx.addIssue({ code: 'custom', path: [key], message: `unknown setting; a canary changes ${CANARY_SETTINGS.join(', ')}` });
      }
    }
    if (Object.keys(changes).length === 0) ctx.addIssue({ code: 'custom', message: 'a canary changes at least one setting' });
  })
  .pipe(settingsPatchSchema(CANARY_SETTINGS));

export type CanaryChanges = z.output<typeof canaryChangesSchema>;

/** `POST /api/projects/:p/canaries` */
export const startCanarySchema = z
  .object({
    changes: canaryChangesSchema,
    percent: z.number().int('a whole number').min(1, 'at least 1').max(99, 'at most 99; promote the canary to apply it to every device'),
  })
  .strict();

export type StartCanary = z.output<typeof startCanarySchema>;

/** `POST /api/projects/:p/canaries/:id/rollback` */
export const rollbackCanarySchema = z
  .object({
    /** Also start a production replay of the canary arm's events under the restored rules. */
    replay: z.boolean().default(false),
  })
  .strict();

/** `GET /api/projects/:p/canaries/:id?steps=A&steps=B&window=1h`: a funnel per arm, by device. */
export const canaryQuerySchema = z.object({ steps: stepList.optional(), window: conversionWindow.prefault('1d') }).strict();

export const CANARY_STATUSES = ['running', 'promoted', 'rolled_back'] as const;
export type CanaryStatus = (typeof CANARY_STATUSES)[number];
export type CanaryArm = 'control' | 'canary';

/** What each arm did since the canary started (contract section 6). */
export interface ArmCounts {
  /** Devices with an event written, suppressed or rejected (when the message named its device) under the arm's rules. */
  devices: number;
  written: number;
  rejected: number;
  suppressed: number;
  rejectedByReason: Record<string, number>;
  /** Sessions that began under the arm's rules, per device with a written event. */
  sessionsPerDevice: number | null;
  /** `<event>.<property>` → the share of the arm's written events of that name without a value (null or absent), for the 20 most common pairs. */
  nullRates: Record<string, number>;
  /** With `steps`: devices reaching each step in order within the window, among the events the arm wrote. */
  funnel?: { step: number; event: string; devices: number; conversionRate: number | null }[];
}
