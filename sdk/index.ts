/**
 * braid's SDK for backend services: publish Segment-Spec events straight to
 * NATS JetStream (`braid.raw.<projectId>.<channel>`), checked before they
 * leave the process, each promise resolving on JetStream's ack.
 *
 *   const braid = createClient({ servers: 'nats://127.0.0.1:4222', projectId: 'shop', channel: 'backend' });
 *   await braid.track({ userId: 'u1', event: 'Order Completed', properties: { total: 12 } });
 *   await braid.close();
 */
export { createClient, BraidClient, type ClientOptions, type CloseOptions } from './client';
export { defineTrackingPlan, type TrackingPlan, type TrackCall, type IdentifyCall, type AliasCall, type PageCall, type ScreenCall, type GroupCall } from './tracking-plan';
export type { Delivery } from './publish-queue';
export type { RetryPolicy } from './backoff';
export { BraidValidationError, BraidQueueFullError, BraidClosedError, BraidPublishError } from './errors';
