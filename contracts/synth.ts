import { z } from 'zod';
import { PROJECT_ID_PATTERN } from './envelope';

/**
 * `braid synth` (contract §6): the expectation file that `synth run` writes
 * and `synth verify` reads. Every figure is a project total, read from the
 * analyst views once the pipeline has drained.
 */
export const SYNTH_VIAS = ['nats', 'http'] as const;
export type SynthVia = (typeof SYNTH_VIAS)[number];

const count = z.number().int().min(0);
const counts = z.record(z.string(), count);

/** What the analyst views should show for the project once the run has drained. */
export const synthFiguresSchema = z
  .object({
    /** analytics.accounting */
    accounting: z.object({ accepted: count, canonical: count, rejected: count, suppressed: count, duplicates: count }).strict(),
    /** analytics.rejected_events (unresolved) by reason */
    rejectionsByReason: counts,
    /** count(DISTINCT person_id) in analytics.events */
    persons: count,
    /** rows of analytics.sessions */
    sessions: count,
    /** analytics.funnel(project, steps, from, to, window): persons per step */
    funnel: z.array(z.object({ step: z.number().int().min(1), event: z.string(), persons: count }).strict()),
    /** rows of analytics.events by channel */
    eventsByChannel: counts,
  })
  .strict();
export type SynthFigures = z.infer<typeof synthFiguresSchema>;

export const synthExpectationSchema = z
  .object({
    kind: z.literal('braid-synth-expectation'),
    version: z.literal(1),
    projectId: z.string().regex(PROJECT_ID_PATTERN),
    seed: count,
    events: count,
    via: z.enum(SYNTH_VIAS),
    /** The run's clock at its start: event times are laid out around it. */
    anchor: z.iso.datetime(),
    funnelQuery: z
      .object({ steps: z.array(z.string()).min(1), from: z.iso.datetime(), to: z.iso.datetime(), windowSeconds: z.number().int().min(1) })
      .strict(),
    /** The project rules the figures follow: braid's documented defaults. */
    assumes: z.record(z.string(), z.unknown()),
    /** Refused by the collector before JetStream (http only): never accepted, not in the views. */
    collectorRejections: counts,
    /** Client retries inside JetStream's duplicate window (http only): dropped by JetStream, never accepted. */
    jetstreamDuplicates: count,
    expected: synthFiguresSchema,
  })
  .strict();
export type SynthExpectation = z.infer<typeof synthExpectationSchema>;
