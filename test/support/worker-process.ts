import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { inject } from 'vitest';
import { repoRoot } from '../../runtime/paths';

/**
 * `braid worker` as a real child process on a test's task queue, so a test
 * can kill it (SIGKILL, no goodbye) in the middle of a run and start another.
 */
export class WorkerProcess {
  private child: ChildProcess | null = null;
  output = '';

  constructor(
    private readonly taskQueue: string,
    private readonly env: Record<string, string> = {},
  ) {}

  async start(): Promise<void> {
    const child = spawn(process.execPath, [join(repoRoot, 'bin', 'braid.js'), 'worker'], {
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: inject('temporalAddress'),
        BRAID_TASK_QUEUE: this.taskQueue,
        BRAID_WORKFLOW_BUNDLE: inject('workflowBundlePath'),
        BRAID_LOG_LEVEL: 'error',
        ...this.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`worker did not start:\n${this.output}`)), 60_000);
      const onData = (chunk: Buffer) => {
        this.output += chunk.toString();
        if (this.output.includes('braid: worker running')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`worker exited with ${code}:\n${this.output}`));
      });
    });
    child.removeAllListeners('exit');
  }

  /** SIGKILL: the process gets no chance to finish what it is doing. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
    this.child = null;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
    });
    this.child = null;
  }
}
