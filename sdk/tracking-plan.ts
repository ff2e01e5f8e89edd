import type { z } from 'zod';

/**
 * An app's tracking plan: for each event name, a zod schema of its
 * properties. Passing one to `createClient` makes `track()` calls
 * compile-time checked (known names, property types) and validated at run time.
 *
 *   const plan = defineTrackingPlan({
 *     'Order Completed': z.object({ orderId: z.string(), total: z.number() }),
 *   });
 */
export type PropertiesSchema = z.ZodType<Record<string, unknown>, Record<string, unknown>>;
export type TrackingPlan = Readonly<Record<string, PropertiesSchema>>;

export function defineTrackingPlan<const P extends TrackingPlan>(plan: P): P {
  return plan;
}

type JsonObject = Record<string, unknown>;

/** At least one of userId and anonymousId, as the envelope requires. */
export type Identity = { userId: string; anonymousId?: string } | { userId?: string; anonymousId: string };

/** Fields every call takes. `timestamp` defaults to now; `messageId` to a new UUID. */
export interface CommonFields {
  messageId?: string;
  timestamp?: Date | string;
  context?: JsonObject;
  integrations?: JsonObject;
}

/** `properties` is optional only when the event's schema accepts an empty object. */
type PropertiesOf<S extends PropertiesSchema> = Record<string, never> extends z.input<S> ? { properties?: z.input<S> } : { properties: z.input<S> };

export type TrackCall<P extends TrackingPlan | undefined> = Identity &
  CommonFields &
  (P extends TrackingPlan
    ? { [E in keyof P & string]: { event: E } & PropertiesOf<P[E]> }[keyof P & string]
    : { event: string; properties?: JsonObject });

export type IdentifyCall = Identity & CommonFields & { traits?: JsonObject };
export type AliasCall = CommonFields & { previousId: string; userId: string; anonymousId?: string };
export type PageCall = Identity & CommonFields & { name?: string; category?: string; properties?: JsonObject };
export type ScreenCall = PageCall;
export type GroupCall = Identity & CommonFields & { groupId: string; traits?: JsonObject };
