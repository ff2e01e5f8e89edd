import { createProject } from '../../db/projects';
import { rawSubject } from '../../contracts/wire';
import type { BenchEnvironment } from '../harness/environment';
import { waitForDrain } from '../harness/drain';
import { round } from '../harness/figures';
import { Pipeline } from '../harness/pipeline';
import { publishAll } from '../harness/publisher';
import type { BenchMessage } from '../workload';

export interface OneDeviceOptions {
  events: number;
}

export interface OneDeviceReport {
  events: number;
  /** Average size of one event as published (UTF-8 JSON). */
  eventBytes: number;
  /** From the first publish until the last one was acked. */
  publishSeconds: number;
  /** From the first publish until every event was queryable (accounting drained, all canonical). */
  seconds: number;
  eventsPerSecond: number;
  history: { runs: number; events: number; bytes: number } | null;
  peakRssMb: Record<string, number | null>;
}

/** Padding that brings an event to about 700 bytes of JSON. */
const TARGET_EVENT_BYTES = 700;

/**
 * One device (a backend user, userId only) bursting many events into an
 * opt-out project: everything lands on one device actor, so one host drains
 * it alone, in order. How long until all of it is queryable?
 */
export async function runOneDevice(env: BenchEnvironment, options: OneDeviceOptions): Promise<OneDeviceReport> {
  const projectId = `bench_onedevice_${env.runId}`;
  await createProject(env.pool, { projectId, name: 'bench one device', consentMode: 'opt-out' });
  const pipeline = await Pipeline.start(env, { name: 'onedevice', projectId, kind: 'hosted' });
  try {
    let bytes = 0;
    const startedAtMs = Date.now();
    const messages = (function* (): Generator<BenchMessage> {
      for (let i = 0; i < options.events; i++) {
        const m = oneDeviceEvent(projectId, env.runId, i, startedAtMs);
        bytes += Buffer.byteLength(m.data);
        yield m;
      }
    })();
    const published = await publishAll(env.js, messages);
    const publishSeconds = (Date.now() - startedAtMs) / 1000;
    const drained = await waitForDrain(env, pipeline, { expectedCanonical: published });
    if (!drained) throw new Error('the one-device burst did not drain');
    if (drained.accounting.canonical !== published) throw new Error(`accounting ${JSON.stringify(drained.accounting)}: expected ${published} canonical events`);
    const seconds = (drained.atMs - startedAtMs) / 1000;
    return {
      events: published,
      eventBytes: Math.round(bytes / Math.max(1, options.events)),
      publishSeconds: round(publishSeconds),
      seconds: round(seconds),
      eventsPerSecond: Math.round(published / seconds),
      history: await pipeline.history(),
      peakRssMb: pipeline.peakRssMb(),
    };
  } finally {
    await pipeline.stop();
  }
}

/** Event i of the device: a distinct time each, in order, ending a little before the start. */
function oneDeviceEvent(projectId: string, runId: string, i: number, startedAtMs: number): BenchMessage {
  const messageId = `${projectId}-${i}`;
  const sentAt = new Date().toISOString();
  const payload = {
    type: 'track',
    messageId,
    userId: `${runId}-one-device-user`,
    event: 'Order Completed',
    timestamp: new Date(startedAtMs - 10 * 60_000 + i).toISOString(),
    sentAt,
    properties: { orderId: `order-${i}`, revenue: (i % 500) + 0.99, currency: 'EUR', note: '' },
    context: { library: { name: 'bench', version: '1' }, ip: '10.1.2.3', userAgent: 'bench/1.0' },
  };
  const padding = TARGET_EVENT_BYTES - Buffer.byteLength(JSON.stringify(payload));
  payload.properties.note = 'x'.repeat(Math.max(0, padding));
  return { subject: rawSubject(projectId, 'backend'), data: JSON.stringify(payload), msgId: messageId };
}
