import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../sdk';
import { startTracing, type Tracing } from '../../runtime/tracing';
import { sleep } from '../support/events';
import { startStack, uniqueId, type Stack } from '../support/stack';

interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  service: string;
  attributes: Record<string, unknown>;
}

/** An OTLP/HTTP receiver (JSON encoding, as OTEL_EXPORTER_OTLP_PROTOCOL=http/json sends): keeps every span it is sent. */
async function otlpReceiver(): Promise<{ url: string; spans: ReceivedSpan[]; close(): Promise<void> }> {
  const spans: ReceivedSpan[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/v1/traces') {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        for (const rs of body.resourceSpans ?? []) {
          const service = rs.resource?.attributes?.find((a: { key: string }) => a.key === 'service.name')?.value?.stringValue ?? '';
          for (const ss of rs.scopeSpans ?? []) {
            for (const s of ss.spans ?? []) {
              const attributes = Object.fromEntries((s.attributes ?? []).map((a: { key: string; value: Record<string, unknown> }) => [a.key, Object.values(a.value)[0]]));
              spans.push({ ...s, service, attributes });
            }
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/**
 * One event's trace, end to end on the real services: the collector request
 * (under the caller's traceparent), ingest, the Temporal signal and workflow
 * handling, and the drain's Postgres write, all in one trace.
 */
describe('tracing: one event, one trace across every hop', () => {
  const projectId = uniqueId('trace');
  let receiver: Awaited<ReturnType<typeof otlpReceiver>>;
  let tracing: Tracing;
  let stack: Stack;
  let key: string;

  beforeAll(async () => {
    receiver = await otlpReceiver();
    // BRAID_COLLECTOR_MAX_LAG 0: other files' backlog on the shared stream must not answer this file's request 429.
    const env = { ...process.env, BRAID_COLLECTOR_MAX_LAG: '0', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_SERVICE_NAME: 'braid-trace-test' };
    Object.assign(process.env, env);
    tracing = startTracing('test', env) as Tracing;
    expect(tracing).not.toBeNull();
    stack = await startStack({ projects: [], api: true, extraFilters: [`braid.raw.${projectId}.>`] });
    const made = await stack.api!.call('POST', '/api/projects', { projectId, name: 'tracing test' });
    expect(made.status).toBe(201);
    key = made.body.writeKeys.web;
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
    await tracing?.shutdown();
    await receiver?.close();
  });

  it('the collector, ingest, workflow and activity spans share the caller’s trace id', async () => {
    const traceId = randomBytes(16).toString('hex');
    const callerSpan = randomBytes(8).toString('hex');
    const messageId = uniqueId('m');
    const res = await fetch(`${stack.api!.url}/v1/track`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}`, traceparent: `00-${traceId}-${callerSpan}-01` },
      body: JSON.stringify({ messageId, anonymousId: 'tracer', event: 'Trace Me', timestamp: new Date().toISOString() }),
    });
    expect(res.status).toBe(200);
    await stack.drained(projectId, 1);

    const wanted = ['POST /v1/track', 'braid.ingest', 'SignalWithStartWorkflow:sessionHostWorkflow', 'HandleSignal:staged', 'braid.write'];
    const ofTrace = () => receiver.spans.filter((s) => s.traceId === traceId);
    // Spans under the host's run (its drain activity) name a parent that is exported when the long-lived run ends.
    const underOpenRun = (s: ReceivedSpan) => s.name.startsWith('StartActivity:') || s.name.startsWith('RunWorkflow:');
    // Every hop's span, and the parent of each (processes export in batches of their own, so a child may come first).
    const complete = (spans: ReceivedSpan[]) =>
      wanted.every((n) => spans.some((s) => s.name === n)) &&
      spans.every((s) => s.name === 'POST /v1/track' || underOpenRun(s) || spans.some((p) => p.spanId === s.parentSpanId));
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && !complete(ofTrace())) {
      await tracing.spanProcessor.forceFlush();
      await sleep(250);
    }
    const spans = ofTrace();
    expect(spans.map((s) => s.name)).toEqual(expect.arrayContaining(wanted));

    // The hops form one chain: each named span's parent is in the trace (the first one's is the caller's).
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const collector = spans.find((s) => s.name === 'POST /v1/track')!;
    expect(collector.parentSpanId).toBe(callerSpan);
    const ingest = spans.find((s) => s.name === 'braid.ingest')!;
    expect(ingest.parentSpanId).toBe(collector.spanId);
    const write = spans.find((s) => s.name === 'braid.write')!;
    expect(write.parentSpanId).toBe(ingest.spanId);
    expect(write.attributes['braid.drain_events']).toBeGreaterThanOrEqual(1);
    const named = (name: string) => spans.find((s) => s.name === name)!;
    expect(named('SignalWithStartWorkflow:sessionHostWorkflow').parentSpanId).toBe(ingest.spanId);
    expect(named('HandleSignal:staged').parentSpanId).toBe(named('SignalWithStartWorkflow:sessionHostWorkflow').spanId);
    for (const s of spans) if (s !== collector && !underOpenRun(s)) expect({ span: s.name, parentInTrace: byId.has(s.parentSpanId ?? '') }).toEqual({ span: s.name, parentInTrace: true });

    // Kept with the test output: the trace with each hop's latency, for the record.
    const t0 = Math.min(...spans.map((s) => Number(BigInt(s.startTimeUnixNano) / 1000n)));
    const lines = spans
      .sort((a, b) => Number(BigInt(a.startTimeUnixNano) - BigInt(b.startTimeUnixNano)))
      .map((s) => {
        const start = Number(BigInt(s.startTimeUnixNano) / 1000n) - t0;
        const ms = Number(BigInt(s.endTimeUnixNano) - BigInt(s.startTimeUnixNano)) / 1e6;
        return `${(start / 1000).toFixed(1).padStart(8)} ms +${ms.toFixed(1).padStart(8)} ms  ${s.name}${s.attributes['braid.drain_events'] ? ` (drain of ${s.attributes['braid.drain_events']})` : ''}`;
      });
    const dir = join('test-output');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'one-event-trace.txt'), `trace ${traceId}\n  start     duration   span\n${lines.join('\n')}\n`);
  }, 120_000);

  it('an SDK publish given the caller’s traceparent starts the trace: ingest and the write join it', async () => {
    const traceId = randomBytes(16).toString('hex');
    const appSpan = randomBytes(8).toString('hex');
    const sdk = createClient({ projectId, channel: 'backend', connection: stack.nc, traceparent: () => `00-${traceId}-${appSpan}-01` });
    await sdk.track({ userId: 'traced-user', event: 'Order Completed' });
    await sdk.close();
    await stack.drained(projectId, 2);
    const deadline = Date.now() + 30_000;
    const ofTrace = () => receiver.spans.filter((s) => s.traceId === traceId);
    while (Date.now() < deadline && !ofTrace().some((s) => s.name === 'braid.write')) {
      await tracing.spanProcessor.forceFlush();
      await sleep(250);
    }
    const ingest = ofTrace().find((s) => s.name === 'braid.ingest');
    expect(ingest?.parentSpanId).toBe(appSpan);
    expect(ofTrace().find((s) => s.name === 'braid.write')?.parentSpanId).toBe(ingest?.spanId);
  }, 120_000);
});
