import { spawn, type ChildProcess } from 'node:child_process';
import { getPriority, setPriority } from 'node:os';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { Logger } from './logger';
import { decideOnExit } from './restart-policy';

/** What a supervised process sends over its IPC channel once it serves. */
export const READY_MESSAGE = 'braid:ready';

/** Niceness `braid up` adds to the worker and ingest, so the API (the front door) stays responsive under load. */
export const BACKGROUND_NICENESS = 5;

/** How long a process may take to stop after SIGTERM before it gets SIGKILL. */
export const STOP_GRACE_MS = 15_000;

/** Tells the supervisor (when there is one) that this process serves; a no-op otherwise. */
export function announceReady(): void {
  process.send?.(READY_MESSAGE);
}

export interface ProcessSpec {
  /** Short name, shown before each line of its output. */
  role: string;
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  /** Added to the process's niceness (lower CPU priority); 0 leaves it as the supervisor's. */
  niceness: number;
}

/**
 * Runs processes as one unit: starts them in the given order with an IPC
 * channel each, forwards their output line by line with their role in front,
 * restarts one that exits unexpectedly (see restart-policy.ts), and stops them
 * in reverse order. Each runs in its own process group, so a Ctrl-C in the
 * terminal reaches only the supervisor, which stops them in order; when the
 * supervisor dies, their IPC channel closes and they stop themselves.
 */
export class Supervisor {
  private readonly children: SupervisedProcess[];

  constructor(specs: ProcessSpec[], log: Logger) {
    const width = Math.max(...specs.map((s) => s.role.length));
    this.children = specs.map((spec) => new SupervisedProcess(spec, `${spec.role.padEnd(width)} |`, log));
  }

  /** Starts every process; resolves once each has announced it is ready, rejects when one exits before. */
  async start(): Promise<void> {
    for (const child of this.children) child.start();
    await Promise.all(this.children.map((child) => child.ready));
  }

  /** SIGTERM to each process in reverse start order, waiting for each to exit (SIGKILL after STOP_GRACE_MS). */
  async stop(): Promise<void> {
    for (const child of this.children) child.noMoreRestarts();
    for (const child of [...this.children].reverse()) await child.stop();
  }
}

class SupervisedProcess {
  readonly ready: Promise<void>;
  private markReady!: () => void;
  private failStart!: (error: Error) => void;
  private process: ChildProcess | null = null;
  private startedAt = 0;
  private everReady = false;
  private restarts = 0;
  private restartTimer: NodeJS.Timeout | null = null;
  private stopping = false;

  constructor(
    private readonly spec: ProcessSpec,
    private readonly prefix: string,
    private readonly log: Logger,
  ) {
    this.ready = new Promise<void>((resolve, reject) => {
      this.markReady = resolve;
      this.failStart = reject;
    });
    // Supervisor.start awaits it; a rejection nobody awaits yet must not crash the process.
    this.ready.catch(() => undefined);
  }

  start(): void {
    this.restartTimer = null;
    const child = spawn(this.spec.command, this.spec.args, { env: this.spec.env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'], detached: true });
    this.process = child;
    this.startedAt = Date.now();
    lowerPriority(child, this.spec.niceness, this.log);
    forwardLines(child.stdout, process.stdout, this.prefix);
    forwardLines(child.stderr, process.stderr, this.prefix);
    child.on('message', (message) => {
      if (message !== READY_MESSAGE) return;
      this.everReady = true;
      this.markReady();
    });
    child.on('error', (error) => this.log.error({ err: error, role: this.spec.role }, 'supervised process error'));
    child.once('exit', (code, signal) => this.onExit(code ?? signal ?? 'unknown'));
  }

  /** From now on an exit is expected: a pending restart is cancelled and none is scheduled. */
  noMoreRestarts(): void {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
  }

  async stop(): Promise<void> {
    this.noMoreRestarts();
    const child = this.process;
    if (child) await terminate(child, this.spec.role, this.log);
  }

  private onExit(exit: number | string): void {
    this.process = null;
    const role = this.spec.role;
    const decision = decideOnExit({ stopping: this.stopping, everReady: this.everReady, restarts: this.restarts, ranMs: Date.now() - this.startedAt });
    switch (decision.action) {
      case 'stopped':
        return;
      case 'give_up':
        this.log.error({ role, exit }, 'braid process exited before it was ready; not restarting it');
        this.failStart(new Error(`braid ${role} exited (${exit}) before it was ready; see its output above`));
        return;
      case 'restart':
        this.log.warn({ role, exit, restartInMs: decision.delayMs, restarts: decision.restarts }, 'braid process exited unexpectedly; restarting it');
        this.restarts = decision.restarts;
        this.restartTimer = setTimeout(() => this.start(), decision.delayMs);
        return;
    }
  }
}

/** SIGTERM, then SIGKILL after STOP_GRACE_MS; resolves when the process has exited. */
function terminate(child: ChildProcess, role: string, log: Logger): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const kill = setTimeout(() => {
      log.warn({ role, graceMs: STOP_GRACE_MS }, 'braid process did not stop in time; killing it');
      child.kill('SIGKILL');
    }, STOP_GRACE_MS);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Best effort: a process that cannot be reniced still runs. */
function lowerPriority(child: ChildProcess, niceness: number, log: Logger): void {
  if (niceness === 0 || child.pid === undefined) return;
  try {
    setPriority(child.pid, Math.min(19, getPriority(child.pid) + niceness));
  } catch (error) {
    log.debug({ err: error, pid: child.pid }, 'could not lower the priority of a braid process');
  }
}

function forwardLines(from: Readable | null, to: NodeJS.WritableStream, prefix: string): void {
  if (!from) return;
  createInterface({ input: from, crlfDelay: Infinity }).on('line', (line) => to.write(`${prefix} ${line}\n`));
}
