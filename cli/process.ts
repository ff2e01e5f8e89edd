import { loadConfig, type Config } from '../runtime/config';
import { createLogger, type Logger } from '../runtime/logger';

export interface CommandContext {
  config: Config;
  log: Logger;
}

export function commandContext(name: string): CommandContext {
  const config = loadConfig();
  return { config, log: createLogger(config.BRAID_LOG_LEVEL, `braid-${name}`) };
}

/**
 * Runs `cleanup` once on SIGINT/SIGTERM, then exits; a second signal exits at once.
 * Under `braid up` the process also stops when its supervisor is gone (the IPC channel closes).
 */
export function onShutdown(cleanup: () => Promise<void>): void {
  let stopping = false;
  const shutdown = (reason: string) => {
    stopping = true;
    console.error(`braid: ${reason}, shutting down…`);
    cleanup()
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

/** Runs every stop step in order; a failing step is logged and the next ones still run. */
export async function stopInOrder(log: Logger, steps: (() => Promise<unknown>)[]): Promise<void> {
  for (const step of steps) {
    try {
      await step();
    } catch (error) {
      log.warn({ err: error }, 'a shutdown step failed; going on with the rest');
    }
  }
}
