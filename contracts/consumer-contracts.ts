import { z } from 'zod';
import { eventKeyProblem } from './schemas';

/** The types a consumer may say it reads a property as (`integer` values read as `number` too). */
export const PROPERTY_TYPES = ['string', 'number', 'integer', 'boolean', 'object', 'array'] as const;
export type PropertyType = (typeof PROPERTY_TYPES)[number];

export interface ContractRead {
  event: string;
  /** Property name → the type the consumer reads it as. */
  properties: Record<string, PropertyType>;
}

export interface ConsumerContract {
  consumer: string;
  reads: ContractRead[];
}

/** A consumer's name in URLs and the registry: a dashboard, a view, an export, a team. */
export const CONSUMER_PATTERN = /^[a-z0-9][a-z0-9_.-]{0,99}$/;

const eventName = z.string().superRefine((value, ctx) => {
  const problem = eventKeyProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** `PUT /api/projects/:p/contracts/:consumer`: the events and properties the consumer reads, with their types. */
export const putContractBody = z
  .object({
    reads: z
      .array(
        z
          .object({
            event: eventName,
            properties: z.record(z.string().min(1).max(200), z.enum(PROPERTY_TYPES, { message: `one of ${PROPERTY_TYPES.join(', ')}` })).default({}),
          })
          .strict(),
      )
      .min(1, 'at least one event')
      .max(500),
  })
  .strict();
export type PutContractBody = z.output<typeof putContractBody>;

/** `POST /api/projects/:p/contracts/impact`: which consumers a proposed schema for an event would break. */
export const contractImpactBody = z
  .object({
    event: eventName,
    schema: z.union([z.boolean(), z.record(z.string(), z.unknown())], { message: 'a JSON Schema: an object, or true/false' }),
  })
  .strict();
