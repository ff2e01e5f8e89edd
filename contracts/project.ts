import { z } from 'zod';
import { CHANNEL_PATTERN, DEFAULT_CHANNELS, PROJECT_ID_PATTERN } from './envelope';
import { NAMING_CONVENTIONS } from './naming';
import { DEFAULT_SESSION_HOSTS } from './hosting';

const policy = z.enum(['allow', 'flag', 'block']);
const category = z.string().trim().toLowerCase().pipe(z.string().regex(/^[a-z][a-z0-9_-]{0,63}$/, 'a consent category such as "analytics"'));

export const piiPolicySchema = z
  .object({
    truncateIp: z.boolean().default(true),
    drop: z.array(z.string().min(1)).default([]),
    pseudonymize: z.array(z.string().min(1)).default(['traits.email', 'traits.phone']),
  })
  .strict();

/** Project settings as `POST /api/projects` takes them (contract section 4). */
export const projectSettingsSchema = z
  .object({
    consentMode: z.enum(['opt-in', 'opt-out']).default('opt-out'),
    consentHoldSeconds: z.number().int().min(0).max(86_400).default(600),
    requiredConsent: z
      .object({ default: category.default('analytics'), events: z.record(z.string(), category).default({}) })
      .strict()
      .default({ default: 'analytics', events: {} }),
    sessionTimeoutMinutes: z.number().int().min(1).max(24 * 60).default(30),
    /** Host workflows that carry the project's device actors (BRAID_SESSION_HOSTING=hosted). */
    sessionHosts: z.number().int().min(1).max(256).default(DEFAULT_SESSION_HOSTS),
    /** Keep canonical events this many days of event time; unset keeps them for ever. */
    retentionDays: z.number().int().min(1).max(36_500).optional(),
    skewToleranceSeconds: z.number().int().min(0).max(86_400).default(30),
    channels: z
      .array(z.string().regex(CHANNEL_PATTERN, 'a channel name: lower case, starts with a letter, at most 32 characters'))
      .min(1)
      .max(64)
      .default([...DEFAULT_CHANNELS])
      .transform((c) => [...new Set(c)]),
    namingConvention: z.enum(NAMING_CONVENTIONS).default('object_action_title'),
    piiPolicy: piiPolicySchema.default({ truncateIp: true, drop: [], pseudonymize: ['traits.email', 'traits.phone'] }),
    trackingPlan: z
      .object({
        unplannedEvents: policy.default('flag'),
        unplannedProperties: policy.default('flag'),
        namingViolations: policy.default('flag'),
        schemaViolations: policy.default('flag'),
      })
      .strict()
      .default({ unplannedEvents: 'flag', unplannedProperties: 'flag', namingViolations: 'flag', schemaViolations: 'flag' }),
  })
  .strict();

export const createProjectSchema = projectSettingsSchema.extend({
  projectId: z.string().regex(PROJECT_ID_PATTERN, 'lower-case letters, digits, _ and -, starting with a letter or digit, at most 63 characters'),
  name: z.string().trim().min(1).max(200),
});

export type ProjectSettings = z.output<typeof projectSettingsSchema>;
export type CreateProject = z.input<typeof createProjectSchema>;

export function defaultProjectSettings(overrides: z.input<typeof projectSettingsSchema> = {}): ProjectSettings {
  return projectSettingsSchema.parse(overrides);
}

/** A settings field as a patch takes it: optional, and without the default that creation fills in. */
function withoutDefault(field: z.ZodType): z.ZodType {
  if (field instanceof z.ZodDefault) return field.removeDefault() as z.ZodType;
  if (field instanceof z.ZodPipe && field.in instanceof z.ZodDefault) return z.pipe(field.in.removeDefault(), field.out as z.ZodType);
  return field;
}

type SettingsKey = keyof typeof projectSettingsSchema.shape;

/**
 * Part of the settings, as `PATCH /api/projects/:p` takes it: only the
 * settings named, each validated as at creation and replacing the project's
 * whole; settings not named keep their values (no defaults are filled in).
 */
export function settingsPatchSchema<K extends SettingsKey>(keys: readonly K[]) {
  const shape = Object.fromEntries(keys.map((k) => [k, withoutDefault(projectSettingsSchema.shape[k]).optional()]));
  return z.object(shape).strict() as unknown as z.ZodObject<{ [P in K]: z.ZodOptional<z.ZodType<ProjectSettings[P]>> }, z.core.$strict>;
}

export const SETTINGS_KEYS = Object.keys(projectSettingsSchema.shape) as SettingsKey[];
