import { ROOT_CONTEXT, SpanKind, SpanStatusCode, context, propagation, trace, type Attributes, type Context, type Span } from '@opentelemetry/api';
import { OTLPTraceExporter as OtlpGrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as OtlpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { Resource, detectResourcesSync, envDetectorSync } from '@opentelemetry/resources';
import { BatchSpanProcessor, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

/**
 * OpenTelemetry tracing, configured only by the standard OTEL_* variables
 * (contract §6): off unless OTEL_EXPORTER_OTLP_ENDPOINT (or its _TRACES_
 * form) is set; OTEL_EXPORTER_OTLP_PROTOCOL picks http/protobuf (default),
 * http/json or grpc; OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES,
 * OTEL_TRACES_SAMPLER(_ARG) and OTEL_PROPAGATORS are the SDK's own.
 * Context travels as W3C `traceparent`: HTTP request → NATS header → staged
 * event → the drain that writes it; Temporal's interceptors carry it across
 * signals and activities.
 */
export interface Tracing {
  resource: Resource;
  spanProcessor: SpanProcessor;
  shutdown(): Promise<void>;
}

let active: Tracing | null = null;

/** Whether the environment asks for tracing. */
export function tracingWanted(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.OTEL_SDK_DISABLED === 'true' || env.OTEL_TRACES_EXPORTER === 'none') return false;
  return Boolean(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT);
}

/** The OTLP protocols the contract names, and what an unknown value is told. */
export const OTLP_PROTOCOLS = ['http/protobuf', 'http/json', 'grpc'] as const;

function exporterFor(env: NodeJS.ProcessEnv): SpanExporter {
  const protocol = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf';
  switch (protocol) {
    case 'http/json':
      return new OtlpJsonExporter();
    case 'grpc':
      return new OtlpGrpcExporter();
    case 'http/protobuf':
      return new OtlpProtoExporter();
    default:
      throw new Error(`OTEL_EXPORTER_OTLP_PROTOCOL: "${protocol}" is not one of ${OTLP_PROTOCOLS.join(', ')}`);
  }
}

/** Starts tracing for this process (role names the service unless OTEL_SERVICE_NAME does); null when the environment does not ask for it. */
export function startTracing(role: string, env: NodeJS.ProcessEnv = process.env): Tracing | null {
  if (active) return active;
  if (!tracingWanted(env)) return null;
  const resource = new Resource({ 'service.name': `braid-${role}` }).merge(detectResourcesSync({ detectors: [envDetectorSync] }));
  const spanProcessor = new BatchSpanProcessor(exporterFor(env), { scheduledDelayMillis: 1_000 });
  const provider = new NodeTracerProvider({ resource, spanProcessors: [spanProcessor] });
  provider.register();
  active = {
    resource,
    spanProcessor,
    shutdown: async () => {
      await provider.shutdown();
      active = null;
    },
  };
  return active;
}

/** This process's tracing, when on. */
export function activeTracing(): Tracing | null {
  return active;
}

export const tracer = () => trace.getTracer('braid');

/** The context a W3C traceparent names (the root context when absent or malformed). */
export function contextOf(traceparent: string | undefined | null): Context {
  return traceparent ? propagation.extract(ROOT_CONTEXT, { traceparent }) : ROOT_CONTEXT;
}

/** The traceparent of a span (or of the active context), for a header or a staged event; undefined when there is none. */
export function traceparentOf(span?: Span): string | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(span ? trace.setSpan(context.active(), span) : context.active(), carrier);
  return carrier.traceparent;
}

/** Starts a span under the given traceparent (or the active context). Cheap no-op spans when tracing is off. */
export function startSpan(name: string, options: { parent?: string | null; kind?: SpanKind; attributes?: Attributes; startTime?: number } = {}): Span {
  const parent = options.parent === undefined ? context.active() : contextOf(options.parent);
  return tracer().startSpan(name, { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes, startTime: options.startTime }, parent);
}

/** Runs `fn` with `span` as the active span, so what it starts (Temporal's client calls) joins its trace. */
export function withSpan<T>(span: Span | undefined, fn: () => T): T {
  return span ? context.with(trace.setSpan(context.active(), span), fn) : fn();
}

/** Ends a span as failed with the error's message. */
export function failSpan(span: Span, error: unknown): void {
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
  span.end();
}

export { SpanKind };
