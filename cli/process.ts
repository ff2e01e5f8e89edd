import { loadConfig, type Config } from '../runtime/config';
import { createLogger, type Logger } from '../runtime/logger';
import { initProcessMetrics } from '../runtime/metrics';
import { serveMetrics, type ExtraMetrics } from '../runtime/metrics-server';
import { activeTracing, startTracing, type Tracing } from '../runtime/tracing';

export interface CommandContext {
  config: Config;
  log: Logger;
  /** Tracing, when the OTEL_* environment asks for it (contract §6). */
  tracing: Tracing | null;
}

/** Configuration, logger, this process's metrics (labelled with its role) and tracing: what every command starts with. */
export function commandContext(name: string): CommandContext {
  const config = loadConfig();
  const log = createLogger(config.BRAID_LOG_LEVEL, `braid-${name}`);
  initProcessMetrics(name);
  const tracing = startTracing(name);
  if (tracing) log.info({ endpoint: process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? process.env.OTEL_EXPORTER_OTLP_ENDPOINT }, 'tracing on');
  return { config, log, tracing };
}

/**
 * Serves this process's /metrics (and /metrics.json for `braid up`'s API)
 * on BRAID_METRICS_PORT when it is set; returns the step that stops it.
 */
export async function serveProcessMetrics(config: Config, log: Logger, extra?: ExtraMetrics): Promise<() => Promise<void>> {
  if (config.BRAID_METRICS_PORT === undefined) return async () => {};
  const server = await serveMetrics(config.BRAID_METRICS_PORT, extra);
  log.info({ port: server.port }, 'metrics on /metrics');
  return server.close;
}

/** How long a shutdown may take before the process exits anyway (124). */
export const SHUTDOWN_GRACE_MS = 15_000;

/**
 * Runs `cleanup` once on SIGINT/SIGTERM, then exits: 0 when every step
 * stopped cleanly, 1 when one failed, 124 when it took longer than
 * SHUTDOWN_GRACE_MS; a second signal exits at once (130).
 * Under `braid up` the process also stops when its supervisor is gone (the IPC channel closes).
 */
export function onShutdown(cleanup: () => Promise<void>): void {
  let stopping = false;
  const shutdown = (reason: string) => {
    stopping = true;
    console.error(`braid: ${reason}, shutting down…`);
    // Bounded, as an orchestrator's stop expects: past the grace period the process goes anyway, saying so (exit 124).
    setTimeout(() => {
      console.error(`braid: not stopped after ${SHUTDOWN_GRACE_MS / 1000} s; exiting without finishing the shutdown`);
      process.exit(124);
    }, SHUTDOWN_GRACE_MS).unref();
    cleanup()
      .then(() => activeTracing()?.shutdown())
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        console.error(error);
        process.exit(1);
      });
  };
  const onSignal = (signal: string) => {
    if (stopping) process.exit(130);
    shutdown(`${signal} received`);
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  // Spawned with an IPC channel (by `braid up`): the channel closes when the supervisor is gone.
  const supervisorGone = () => {
    if (!stopping) shutdown('braid up is gone');
  };
  if (process.send && process.connected) process.once('disconnect', supervisorGone);
  else if (process.send) supervisorGone();
}

/** Runs every stop step in order; a failing step is logged and the next ones still run; then it fails if any did. */
export async function stopInOrder(log: Logger, steps: (() => Promise<unknown>)[]): Promise<void> {
  let failed = 0;
  for (const step of steps) {
    try {
      await step();
    } catch (error) {
      failed += 1;
      log.warn({ err: error }, 'a shutdown step failed; going on with the rest');
    }
  }
  if (failed > 0) throw new Error(`${failed} shutdown step${failed === 1 ? '' : 's'} failed (see the log)`);
}
