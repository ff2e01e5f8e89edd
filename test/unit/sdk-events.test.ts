import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { MAX_EVENT_BYTES } from '../../contracts/envelope';
import { retryDelayMs } from '../../sdk/backoff';
import { BraidValidationError } from '../../sdk/errors';
import { buildEvent, encodeForSend, SDK_LIBRARY } from '../../sdk/events';
import { defineTrackingPlan } from '../../sdk/tracking-plan';

const NOW = new Date('2026-01-31T12:00:00.000Z');
const options = { now: () => NOW, newId: () => 'generated-id' };

function refusal(fn: () => unknown): BraidValidationError {
  try {
    fn();
  } catch (error) {
    if (error instanceof BraidValidationError) return error;
    throw error;
  }
  throw new Error('expected a BraidValidationError');
}

describe('buildEvent (the SDK checking an event before it leaves)', () => {
  it('fills messageId, timestamp and the library, keeping the caller’s context', () => {
    const built = buildEvent('track', { userId: 'u', event: 'Order Completed', context: { ip: '203.0.113.9' } }, { ...options, context: { app: { name: 'billing' } } });
    expect(built.messageId).toBe('generated-id');
    expect(built.envelope).toEqual({
      type: 'track',
      messageId: 'generated-id',
      userId: 'u',
      event: 'Order Completed',
      timestamp: NOW.toISOString(),
      context: { app: { name: 'billing' }, ip: '203.0.113.9', library: SDK_LIBRARY },
    });
  });

  it('keeps a given messageId and turns a Date timestamp into ISO-8601', () => {
    const built = buildEvent('identify', { userId: 'u', messageId: 'mine', timestamp: new Date('2026-01-01T00:00:00Z') }, options);
    expect(built).toMatchObject({ messageId: 'mine', envelope: { timestamp: '2026-01-01T00:00:00.000Z' } });
  });

  it('stamps sentAt on every attempt', () => {
    const built = buildEvent('page', { anonymousId: 'a', name: 'Home' }, options);
    const sent = JSON.parse(Buffer.from(encodeForSend(built, new Date('2026-01-31T12:00:05.000Z'))).toString());
    expect(sent).toMatchObject({ type: 'page', sentAt: '2026-01-31T12:00:05.000Z', timestamp: NOW.toISOString() });
  });

  it.each([
    { label: 'no ids', type: 'track' as const, input: { event: 'E' }, reason: 'missing_identity' },
    { label: 'blank ids', type: 'track' as const, input: { userId: ' ', anonymousId: '', event: 'E' }, reason: 'missing_identity' },
    { label: 'track without event', type: 'track' as const, input: { userId: 'u' }, reason: 'missing_event' },
    { label: 'alias without previousId', type: 'alias' as const, input: { userId: 'u' }, reason: 'missing_previous_id' },
    { label: 'group without groupId', type: 'group' as const, input: { userId: 'u' }, reason: 'missing_group_id' },
    { label: 'a timestamp without offset', type: 'track' as const, input: { userId: 'u', event: 'E', timestamp: '2026-01-31 12:00' }, reason: 'invalid_timestamp' },
    { label: 'a 101-character messageId', type: 'track' as const, input: { userId: 'u', event: 'E', messageId: 'x'.repeat(101) }, reason: 'message_id_too_long' },
    { label: 'traits that are a string', type: 'identify' as const, input: { userId: 'u', traits: 'vip' }, reason: 'invalid_traits' },
    { label: 'a session id that is an object', type: 'track' as const, input: { userId: 'u', event: 'E', context: { sessionId: {} } }, reason: 'invalid_session_id' },
  ])('refuses $label ($reason)', ({ type, input, reason }) => {
    const error = refusal(() => buildEvent(type, input, options));
    expect(error.reason).toBe(reason);
    expect(error.violations.length).toBeGreaterThan(0);
  });

  it('refuses an event over 32 KiB once sentAt is added, and takes one that fits exactly', () => {
    const base = buildEvent('track', { userId: 'u', event: 'E', properties: { f: '' } }, options);
    const room = MAX_EVENT_BYTES - encodeForSend(base, NOW).length;
    const fits = buildEvent('track', { userId: 'u', event: 'E', properties: { f: 'x'.repeat(room) } }, options);
    expect(encodeForSend(fits, NOW).length).toBe(MAX_EVENT_BYTES);
    expect(refusal(() => buildEvent('track', { userId: 'u', event: 'E', properties: { f: 'x'.repeat(room + 1) } }, options)).reason).toBe('payload_too_large');
  });

  describe('with a tracking plan', () => {
    const trackingPlan = defineTrackingPlan({
      'Order Completed': z.object({ orderId: z.string(), total: z.number().nonnegative() }),
      'Signed Up': z.object({ plan: z.enum(['free', 'pro']).default('free') }),
    });

    it('validates properties and sends what the schema made of them', () => {
      const built = buildEvent('track', { userId: 'u', event: 'Signed Up', properties: {} }, { ...options, trackingPlan });
      expect(built.envelope.properties).toEqual({ plan: 'free' });
    });

    it.each([
      { label: 'an event not in the plan', input: { userId: 'u', event: 'Order Complete' }, reason: 'unplanned_event', path: 'event' },
      { label: 'a property of the wrong type', input: { userId: 'u', event: 'Order Completed', properties: { orderId: 'o', total: '12' } }, reason: 'invalid_properties', path: 'properties.total' },
      { label: 'a missing property', input: { userId: 'u', event: 'Order Completed', properties: { total: 1 } }, reason: 'invalid_properties', path: 'properties.orderId' },
    ])('refuses $label', ({ input, reason, path }) => {
      const error = refusal(() => buildEvent('track', input, { ...options, trackingPlan }));
      expect(error.reason).toBe(reason);
      expect(error.violations.map((v) => v.path)).toContain(path);
    });
  });
});

describe('retryDelayMs', () => {
  const policy = { initialDelayMs: 100, maxDelayMs: 5_000 };
  it.each([
    { attempt: 1, random: 0, expected: 50 },
    { attempt: 1, random: 1, expected: 100 },
    { attempt: 2, random: 0.5, expected: 150 },
    { attempt: 4, random: 1, expected: 800 },
    { attempt: 7, random: 1, expected: 5_000 },
    { attempt: 50, random: 0, expected: 2_500 },
  ])('retry $attempt with random $random → $expected ms', ({ attempt, random, expected }) => {
    expect(retryDelayMs(attempt, policy, () => random)).toBe(expected);
  });
});
