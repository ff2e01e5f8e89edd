import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { inject } from 'vitest';
import { repoRoot } from '../../runtime/paths';

/**
 * A braid command (`braid worker`, `braid ingest`, …) as a real child process
 * on the test's Temporal server and workflow bundle, so a test can kill it
 * (SIGKILL, no goodbye) in the middle of a run and start another. `start()`
 * returns once the process says it runs (`braid: <command> running`).
 */
export class BraidProcess {
  private child: ChildProcess | null = null;
  output = '';

  constructor(
    readonly command: string,
    private readonly env: Record<string, string> = {},
  ) {}

  /** Started, and neither exited nor killed since. */
  get running(): boolean {
    return this.child !== null && !hasExited(this.child);
  }

  async start(): Promise<void> {
    const child = spawn(process.execPath, [join(repoRoot, 'bin', 'braid.js'), this.command], {
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: inject('temporalAddress'),
        BRAID_WORKFLOW_BUNDLE: inject('workflowBundlePath'),
        BRAID_LOG_LEVEL: 'error',
        ...this.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const ready = `braid: ${this.command} running`;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.command} did not start:\n${this.output}`)), 60_000);
      const onData = (chunk: Buffer) => {
        this.output += chunk.toString();
        if (this.output.includes(ready)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${this.command} exited with ${code}:\n${this.output}`));
      });
    });
    child.removeAllListeners('exit');
  }

  /** SIGKILL: the process gets no chance to finish what it is doing. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || hasExited(child)) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
    this.child = null;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || hasExited(child)) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
    });
    this.child = null;
  }
}

/** `braid worker` on a test's task queue. */
export class WorkerProcess extends BraidProcess {
  constructor(taskQueue: string, env: Record<string, string> = {}) {
    super('worker', { BRAID_TASK_QUEUE: taskQueue, ...env });
  }
}

function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}
