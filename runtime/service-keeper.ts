import { readFileSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { Counter } from 'prom-client';
import type { Logger } from './logger';
import { metricsRegistry } from './metrics';
import { decideOnExit } from './restart-policy';

/** A service `braid up` started: its process, and how to stop it. */
export interface KeptService {
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Restarts in a row (without a minute of stable running between them) after which braid up gives up on a service. */
export const MAX_SERVICE_RESTARTS = 5;

const serviceRestarts = new Counter({
  name: 'braid_up_service_restarts_total',
  help: 'Services braid up keeps running (the Temporal dev server, the local Postgres and NATS) that went down and were started again, by service',
  labelNames: ['service'],
  registers: [metricsRegistry],
});

/** Counts one restart of a service braid up keeps running. */
export function countServiceRestart(service: string): void {
  serviceRestarts.inc({ service });
}

/**
 * Keeps a service braid up started running: when its process dies
 * unexpectedly it is started again (1 s, doubling to 30 s while it keeps
 * dying; restart-policy.ts), with a log line and braid_up_service_restarts_total.
 * After MAX_SERVICE_RESTARTS in a row, or when it cannot be started again,
 * `onGiveUp` hears the service's name and the last lines of its log.
 */
export class ServiceKeeper {
  private current: KeptService | null = null;
  private stopping = false;
  private restarts = 0;
  private startedAt = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly name: string,
    private readonly startService: () => Promise<KeptService>,
    private readonly options: { log: Logger; logFile?: string; onGiveUp: (message: string) => void },
  ) {}

  /** Watches a service that is already running. */
  keep(service: KeptService): void {
    this.current = service;
    this.startedAt = Date.now();
    service.process.once('exit', (code, signal) => this.onExit(code ?? signal ?? 'unknown'));
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    await this.current?.stop();
  }

  private onExit(exit: number | string): void {
    this.current = null;
    const decision = decideOnExit({ stopping: this.stopping, everReady: true, restarts: this.restarts, ranMs: Date.now() - this.startedAt });
    if (decision.action !== 'restart') return;
    if (decision.restarts > MAX_SERVICE_RESTARTS) return this.giveUp(`${this.name} exited (${exit}) ${decision.restarts} times in a row`);
    this.restarts = decision.restarts;
    this.options.log.error({ service: this.name, exit, restartInMs: decision.delayMs, restarts: decision.restarts }, `${this.name} exited unexpectedly; starting it again`);
    this.timer = setTimeout(() => void this.restart(), decision.delayMs);
  }

  private async restart(): Promise<void> {
    if (this.stopping) return;
    try {
      const service = await this.startService();
      if (this.stopping) return void (await service.stop());
      countServiceRestart(this.name);
      this.options.log.warn({ service: this.name, restarts: this.restarts }, `${this.name} is running again`);
      this.keep(service);
    } catch (error) {
      this.giveUp(`${this.name} could not be started again: ${(error as Error).message}`);
    }
  }

  private giveUp(reason: string): void {
    if (this.stopping) return;
    this.stopping = true;
    this.options.onGiveUp(`${reason}; giving up.${this.lastLogLines()}`);
  }

  private lastLogLines(): string {
    if (!this.options.logFile) return '';
    try {
      const lines = readFileSync(this.options.logFile, 'utf8').trimEnd().split('\n').slice(-20);
      return `\nlast lines of ${this.options.logFile}:\n${lines.map((l) => `  ${l}`).join('\n')}`;
    } catch {
      return '';
    }
  }
}
