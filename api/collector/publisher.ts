import { Events, headers as natsHeaders, type JetStreamClient, type NatsConnection } from 'nats';
import { RECEIVED_AT_HEADER, TRACEPARENT_HEADER } from '../../contracts/wire';
import type { PublishOutcome, ReadyEvent } from '../../rules/collector-request';

/**
 * Publishes a request's events to JetStream and knows whether NATS is
 * connected right now, so a request during an outage is answered at once
 * instead of waiting out the publish timeout.
 */
export class JetStreamPublisher {
  private readonly js: JetStreamClient;
  private connected: boolean;
  private watching = true;

  constructor(
    private readonly nc: NatsConnection,
    private readonly timeoutMs: number,
  ) {
    this.js = nc.jetstream();
    this.connected = !nc.isClosed();
    void (async () => {
      for await (const s of nc.status()) {
        if (!this.watching) break;
        if (s.type === Events.Disconnect) this.connected = false;
        else if (s.type === Events.Reconnect) this.connected = true;
      }
    })().catch(() => undefined);
  }

  get available(): boolean {
    return this.connected && !this.nc.isClosed();
  }

  /**
   * Publishes every event at once (in index order on the wire, all acks in
   * flight together) with `Nats-Msg-Id` = messageId, the receipt time and the
   * request's W3C traceparent when it has one, and
   * waits for each ack or failure.
   */
  async publish(subject: string, events: ReadyEvent[], receivedAt: string, traceparent?: string): Promise<PublishOutcome> {
    const results = await Promise.allSettled(
      events.map((event) => {
        const h = natsHeaders();
        h.set(RECEIVED_AT_HEADER, receivedAt);
        if (traceparent) h.set(TRACEPARENT_HEADER, traceparent);
        return this.js.publish(subject, event.data, { msgID: event.messageId, headers: h, timeout: this.timeoutMs });
      }),
    );
    const outcome: PublishOutcome = { accepted: [], unconfirmed: [] };
    results.forEach((result, i) => {
      const event = events[i] as ReadyEvent;
      if (result.status === 'fulfilled') outcome.accepted.push(event);
      else outcome.unconfirmed.push({ event, error: String((result.reason as Error)?.message ?? result.reason) });
    });
    return outcome;
  }

  close(): void {
    this.watching = false;
  }
}
