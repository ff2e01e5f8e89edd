import type { Span } from '@opentelemetry/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { httpRequests } from '../runtime/metrics';
import { activeTracing, SpanKind, startSpan, traceparentOf } from '../runtime/tracing';
import { TRACEPARENT_HEADER } from '../contracts/wire';

const spans = new WeakMap<FastifyRequest, Span>();

/**
 * Every request in braid_http_request_duration_seconds (by route template,
 * not raw URL) and, when tracing is on, as a server span under the caller's
 * W3C traceparent: the collector's events carry that span on to ingest.
 */
export function requestTelemetry(app: FastifyInstance): void {
  app.addHook('onRequest', async (request) => {
    if (activeTracing() === null) return;
    const incoming = request.headers[TRACEPARENT_HEADER];
    spans.set(
      request,
      startSpan(`${request.method} ${request.routeOptions.url ?? 'unmatched'}`, {
        parent: typeof incoming === 'string' ? incoming : null,
        kind: SpanKind.SERVER,
        attributes: { 'http.request.method': request.method, 'http.route': request.routeOptions.url ?? '', 'url.path': request.url.split('?')[0] },
      }),
    );
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    httpRequests.observe({ method: request.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
    const span = spans.get(request);
    if (span) {
      span.setAttribute('http.response.status_code', reply.statusCode);
      span.end();
    }
  });
}

/**
 * The traceparent a request's events travel with: its server span's when
 * this process traces, else the caller's as it came (a downstream process
 * that traces still joins the caller's trace).
 */
export function requestTraceparent(request: FastifyRequest): string | undefined {
  const span = spans.get(request);
  if (span) return traceparentOf(span);
  const incoming = request.headers[TRACEPARENT_HEADER];
  return typeof incoming === 'string' ? incoming : undefined;
}
