import { rawSubject } from '../contracts/wire';

export interface BenchMessage {
  subject: string;
  data: string;
  msgId: string | null;
}

export interface WorkloadShape {
  sessions: number;
  eventsPerSession: number;
}

export interface Workload {
  messages: BenchMessage[];
  /** Messages that should become canonical events. */
  expectedCanonical: number;
  expectedRejected: number;
  expectedDuplicates: number;
}

const CHANNELS = ['web', 'mobile', 'backend'] as const;

/**
 * A realistic multi-channel workload: many concurrent sessions on three
 * channels, interleaved round-robin (so one pull holds about one event per
 * session), identify and alias mid-session, consent changes in context, and
 * a few malformed events and client retries without Nats-Msg-Id (duplicates).
 * Deterministic for a given shape and run id.
 */
export function buildWorkload(projectId: string, runId: string, shape: WorkloadShape, nowMs: number): Workload {
  const perSession: BenchMessage[][] = [];
  let rejected = 0;
  let duplicates = 0;
  let canonical = 0;
  for (let s = 0; s < shape.sessions; s++) {
    const channel = CHANNELS[s % CHANNELS.length] as string;
    const subject = rawSubject(projectId, channel);
    const anonymousId = `${runId}-anon-${s}`;
    const userId = `${runId}-user-${Math.floor(s / 2)}`; // two devices per user
    const list: BenchMessage[] = [];
    for (let e = 0; e < shape.eventsPerSession; e++) {
      const messageId = `${projectId}-${s}-${e}`;
      const t = new Date(nowMs - (shape.eventsPerSession - e) * 20_000).toISOString();
      const base = { messageId, anonymousId, timestamp: t, sentAt: t, context: { ip: `10.0.${s % 250}.${e}`, userAgent: 'bench/1.0', consent: { categoryPreferences: { analytics: true } } } };
      let payload: Record<string, unknown>;
      if (channel === 'backend') payload = { ...base, type: 'track', userId, anonymousId: undefined, event: 'Order Completed', properties: { revenue: e * 10, currency: 'EUR' } };
      else if (e === 1) payload = { ...base, type: 'identify', userId, traits: { plan: 'pro' } };
      else if (e === 2 && s % 10 === 0) payload = { ...base, type: 'alias', previousId: anonymousId, userId };
      else if (e % 2 === 0) payload = { ...base, type: channel === 'mobile' ? 'screen' : 'page', name: `Screen ${e}` };
      else payload = { ...base, type: 'track', event: 'Product Viewed', properties: { sku: `sku-${e}`, price: 9.99 } };
      list.push({ subject, data: JSON.stringify(payload), msgId: messageId });
      canonical += 1;
    }
    if (s % 200 === 7) {
      // a client retry without the Nats-Msg-Id header: reaches the stream, braid counts it once
      list.push({ ...(list[0] as BenchMessage), msgId: null });
      duplicates += 1;
    }
    if (s % 250 === 11) {
      list.push({ subject, data: JSON.stringify({ type: 'track', messageId: `${projectId}-${s}-bad`, anonymousId }), msgId: `${projectId}-${s}-bad` });
      rejected += 1;
    }
    perSession.push(list);
  }
  const messages: BenchMessage[] = [];
  const longest = Math.max(...perSession.map((l) => l.length));
  for (let i = 0; i < longest; i++) for (const list of perSession) if (list[i]) messages.push(list[i] as BenchMessage);
  return { messages, expectedCanonical: canonical, expectedRejected: rejected, expectedDuplicates: duplicates };
}
