import type { Violation } from '../contracts/envelope';

/** Why the SDK refused an event before publishing it: the contract's reasons, plus the tracking plan's. */
export type ValidationReason = string;

/** The event breaks the envelope or the app's tracking plan; it was not published. */
export class BraidValidationError extends Error {
  constructor(
    readonly reason: ValidationReason,
    readonly violations: Violation[],
    readonly messageId: string | null,
  ) {
    super(`event rejected (${reason}): ${violations.map((v) => `${v.path}: ${v.message}`).join('; ') || reason}`);
    this.name = 'BraidValidationError';
  }
}

/** The client's queue is full: events are arriving faster than JetStream acks them (or NATS is down). */
export class BraidQueueFullError extends Error {
  constructor(readonly limit: number) {
    super(`the braid client's queue holds ${limit} events already; flush() or slow down`);
    this.name = 'BraidQueueFullError';
  }
}

/** The client was closed before (or while) the event could be delivered. */
export class BraidClosedError extends Error {
  constructor(message = 'the braid client is closed') {
    super(message);
    this.name = 'BraidClosedError';
  }
}

/** JetStream did not ack the event after every attempt; `cause` is the last failure. */
export class BraidPublishError extends Error {
  constructor(
    readonly messageId: string,
    readonly attempts: number,
    override readonly cause: unknown,
  ) {
    super(`event ${messageId} was not acked by JetStream after ${attempts} attempts: ${(cause as Error)?.message ?? String(cause)}`);
    this.name = 'BraidPublishError';
  }
}
