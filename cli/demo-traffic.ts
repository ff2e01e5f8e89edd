import { rawSubject } from '../contracts/wire';

export interface DemoMessage {
  subject: string;
  payload: Record<string, unknown>;
  /** False for the demo's client that retries without a Nats-Msg-Id header. */
  withMsgIdHeader: boolean;
  note?: string;
}

/**
 * A small cross-channel story for the demo: Ada browses anonymously on the web,
 * signs in there and on her phone, buys through the backend; Grace visits
 * once. Plus one client retry (a duplicate) and one malformed event.
 */
export function demoTraffic(projectId: string, runId: string, nowMs: number): DemoMessage[] {
  let n = 0;
  const at = (minutesAgo: number) => new Date(nowMs - minutesAgo * 60_000).toISOString();
  const ctx = (extra: Record<string, unknown>) => ({ library: { name: 'braid-demo', version: '1' }, ...extra });
  const event = (channel: string, body: Record<string, unknown>, minutesAgo: number): DemoMessage => ({
    subject: rawSubject(projectId, channel),
    payload: { messageId: `demo-${runId}-${++n}`, timestamp: at(minutesAgo), sentAt: at(0), ...body },
    withMsgIdHeader: true,
  });
  const ada = `ada-${runId}`;
  const adaWeb = `web-anon-${runId}-1`;
  const adaPhone = `phone-anon-${runId}-1`;
  const graceWeb = `web-anon-${runId}-2`;
  const web = ctx({ ip: '203.0.113.7', userAgent: 'Mozilla/5.0 (Macintosh) Firefox/130.0', locale: 'en-GB' });
  const phone = ctx({ ip: '198.51.100.23', app: { name: 'Shop', version: '4.2.0' }, os: { name: 'iOS', version: '18.1' } });

  const messages: DemoMessage[] = [
    event('web', { type: 'page', anonymousId: adaWeb, name: 'Home', context: web }, 20),
    event('web', { type: 'page', anonymousId: adaWeb, name: 'Pricing', context: web }, 19),
    event('web', { type: 'track', anonymousId: adaWeb, event: 'Product Viewed', properties: { sku: 'TEA-01', price: 12.5 }, context: web }, 18),
    event('web', { type: 'identify', anonymousId: adaWeb, userId: ada, traits: { plan: 'free' }, context: web }, 17),
    event('mobile', { type: 'screen', anonymousId: adaPhone, name: 'Home', context: phone }, 10),
    event('mobile', { type: 'identify', anonymousId: adaPhone, userId: ada, context: phone }, 9),
    event('mobile', { type: 'track', anonymousId: adaPhone, userId: ada, event: 'Product Added', properties: { sku: 'TEA-01', quantity: 2 }, context: phone }, 8),
    event('backend', { type: 'track', userId: ada, event: 'Order Completed', properties: { orderId: `o-${runId}`, revenue: 25, currency: 'EUR' } }, 7),
    event('web', { type: 'page', anonymousId: graceWeb, name: 'Home', context: web }, 5),
    event('web', { type: 'track', anonymousId: graceWeb, event: 'Signup Started', context: web }, 4),
  ];
  const retried = messages[6] as DemoMessage;
  messages.push({ ...retried, withMsgIdHeader: false, note: 'client retry without Nats-Msg-Id: a duplicate' });
  messages.push({
    subject: rawSubject(projectId, 'web'),
    payload: { type: 'track', messageId: `demo-${runId}-bad`, anonymousId: graceWeb, properties: { note: 'no event name' } },
    withMsgIdHeader: true,
    note: 'malformed: track without event',
  });
  return messages;
}
