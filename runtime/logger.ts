import pino from 'pino';

export type Logger = pino.Logger;

/** JSON logs on stderr (stdout stays free for command output such as `braid status`). */
export function createLogger(level: string = process.env.BRAID_LOG_LEVEL ?? 'info', name = 'braid'): Logger {
  return pino({ name, level }, pino.destination(2));
}
