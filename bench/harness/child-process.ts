import { spawn, type ChildProcess } from 'node:child_process';
import { getPriority, setPriority } from 'node:os';
import { createInterface } from 'node:readline';
import { repoRoot } from '../../runtime/paths';
import { READY_MESSAGE } from '../../runtime/supervisor';
import { memoryMb } from './proc-stats';

export interface ChildSpec {
  /** Shown before each line of its output, e.g. `burst-hosted/worker`. */
  role: string;
  /** Node arguments: a script and its arguments. */
  args: string[];
  env: NodeJS.ProcessEnv;
  /** Added to the process's niceness, as `braid up` does for worker and ingest. */
  niceness?: number;
}

const START_TIMEOUT_MS = 120_000;
const STOP_GRACE_MS = 20_000;

/**
 * A braid process the benchmark runs (`braid worker`, `braid ingest`,
 * `braid api`, or the raw ingest): started with an IPC channel as `braid up`
 * starts them, ready once it says so over that channel. Its output goes to
 * the benchmark's stderr, each line with its role in front. When the
 * benchmark dies, the channel closes and the process stops itself.
 */
export class BenchChild {
  private exit: string | null = null;
  private lastPeakMb: number | null = null;

  private constructor(
    readonly role: string,
    private readonly child: ChildProcess,
  ) {
    child.once('exit', (code, signal) => {
      this.exit = String(code ?? signal);
    });
  }

  static start(spec: ChildSpec): Promise<BenchChild> {
    // Extra node flags for the children, e.g. BENCH_CHILD_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof".
    const nodeArgs = (process.env.BENCH_CHILD_NODE_ARGS ?? '').split(' ').filter(Boolean);
    const child = spawn(process.execPath, [...nodeArgs, ...spec.args], { env: spec.env, cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe', 'ipc'], detached: true });
    const started = new BenchChild(spec.role, child);
    if (spec.niceness && child.pid !== undefined) setPriority(child.pid, Math.min(19, getPriority(child.pid) + spec.niceness));
    const tail: string[] = [];
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
        tail.push(line);
        if (tail.length > 40) tail.shift();
        process.stderr.write(`${spec.role} | ${line}\n`);
      });
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`${spec.role} did not become ready within ${START_TIMEOUT_MS / 1000} s:\n${tail.join('\n')}`));
      }, START_TIMEOUT_MS);
      child.on('message', (message) => {
        if (message !== READY_MESSAGE) return;
        clearTimeout(timer);
        resolve(started);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${spec.role} exited (${code ?? signal}) before it was ready:\n${tail.join('\n')}`));
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** How it ended (exit code or signal), once it has; null while it runs. */
  get exited(): string | null {
    return this.exit;
  }

  /** Peak resident memory since the process started (VmHWM), in MB; the last reading once it has stopped. */
  peakRssMb(): number | null {
    if (this.exit === null) this.lastPeakMb = memoryMb(this.child.pid, 'VmHWM') ?? this.lastPeakMb;
    return this.lastPeakMb;
  }

  /** SIGTERM (the process finishes what it holds), SIGKILL after a grace period. */
  async stop(): Promise<void> {
    this.peakRssMb();
    if (this.exit !== null) return;
    await new Promise<void>((resolve) => {
      const kill = setTimeout(() => this.child.kill('SIGKILL'), STOP_GRACE_MS);
      this.child.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
      this.child.kill('SIGTERM');
    });
  }
}
