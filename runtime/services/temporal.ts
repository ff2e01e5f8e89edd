import type { TemporalTls } from '../tls';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Connection } from '@temporalio/client';
import type { Logger } from '../logger';
import { cacheDir } from '../paths';
import { findExecutable, freePort, isListening, waitFor } from './local-process';

export { freePort };

/** The official Temporal CLI; v1.5.1 is the newest tag whose go.mod `go install` accepts. */
export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal@v1.5.1';

export interface TemporalBinaryOptions {
  explicitPath?: string;
  cache?: string;
  log: Logger;
}

/**
 * Finds the Temporal CLI (BRAID_TEMPORAL_BIN, the braid cache, PATH) or builds
 * it once into the cache with `go install`, so every clone and CI reuse it.
 * A lock directory keeps concurrent first runs from building twice.
 */
export async function resolveTemporalBinary(options: TemporalBinaryOptions): Promise<string> {
  if (options.explicitPath) {
    if (!existsSync(options.explicitPath)) throw new Error(`BRAID_TEMPORAL_BIN=${options.explicitPath} does not exist`);
    return options.explicitPath;
  }
  const cache = cacheDir(options.cache);
  const cached = join(cache, 'bin', 'temporal');
  if (existsSync(cached)) return cached;
  const onPath = findExecutable(['temporal']);
  if (onPath) return onPath;
  await buildTemporalCli(cache, options.log);
  return cached;
}

async function buildTemporalCli(cache: string, log: Logger): Promise<void> {
  const binDir = join(cache, 'bin');
  const target = join(binDir, 'temporal');
  const lock = join(cache, 'temporal-build.lock');
  mkdirSync(binDir, { recursive: true });
  const go = findExecutable(['go', '/usr/local/go/bin/go']);
  if (!go) throw new Error('the Temporal CLI is not installed and Go is not available to build it; set TEMPORAL_ADDRESS or BRAID_TEMPORAL_BIN');

  while (true) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (existsSync(target)) return;
      // A build that died leaves its lock behind; an hour is far beyond any real build.
      if (Date.now() - statSync(lock).mtimeMs > 3_600_000) rmSync(lock, { recursive: true, force: true });
      log.info('waiting for another process that is building the Temporal CLI');
      await new Promise((r) => setTimeout(r, 5_000));
    }
  }
  try {
    if (existsSync(target)) return;
    console.error(`braid: building the Temporal CLI (${TEMPORAL_CLI_MODULE}) into ${binDir}; the first build takes several minutes, later runs reuse it.`);
    const result = spawnSync(go, ['install', TEMPORAL_CLI_MODULE], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, GOBIN: binDir, CGO_ENABLED: '0', GOFLAGS: '-mod=mod' },
    });
    if (result.status !== 0 || !existsSync(target)) {
      throw new Error(`building the Temporal CLI failed (go install exited with ${result.status ?? result.signal})`);
    }
    console.error(`braid: Temporal CLI built at ${target}`);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export interface DevServerOptions {
  binary: string;
  port?: number;
  /** Persist to this SQLite file (WAL); in memory when absent. */
  dbFile?: string;
  /** Serve the web UI on this port; headless when absent. */
  uiPort?: number;
  namespace: string;
  logFile?: string;
  log: Logger;
}

export interface DevServer {
  address: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Starts `temporal server start-dev` and waits until its frontend answers. */
export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const port = options.port ?? (await freePort());
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--namespace', options.namespace, '--log-level', 'warn'];
  if (options.uiPort) args.push('--ui-port', String(options.uiPort));
  else args.push('--headless');
  if (options.dbFile) {
    mkdirSync(dirname(resolve(options.dbFile)), { recursive: true });
    args.push('--db-filename', options.dbFile, '--sqlite-pragma', 'journal_mode=WAL', '--sqlite-pragma', 'synchronous=NORMAL');
  }
  let stdio: ('ignore' | number)[] = ['ignore', 'ignore', 'ignore'];
  if (options.logFile) {
    mkdirSync(dirname(resolve(options.logFile)), { recursive: true });
    const fd = openSync(options.logFile, 'a');
    stdio = ['ignore', fd, fd];
  }
  // Its own process group: a Ctrl-C in the terminal reaches braid up alone, which stops the server after the processes that use it.
  const child = spawn(options.binary, args, { stdio, detached: true });
  let exited: string | null = null;
  child.once('exit', (code, signal) => {
    exited = `exited with ${code ?? signal}`;
  });
  const address = `127.0.0.1:${port}`;
  options.log.info({ address, persistent: Boolean(options.dbFile) }, 'starting the Temporal dev server');
  await waitFor(
    `the Temporal dev server on ${address}`,
    async () => {
      if (exited) throw new Error(`the Temporal dev server ${exited}${options.logFile ? `; see ${options.logFile}` : ''}`);
      return isTemporalReady(address, options.namespace);
    },
    60_000,
    250,
  );
  return {
    address,
    process: child,
    stop: () =>
      new Promise<void>((resolveStop) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolveStop();
        child.once('exit', () => resolveStop());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
      }),
  };
}

/** Whether a Temporal frontend answers at `address` and knows the namespace. */
export async function isTemporalReady(address: string, namespace: string, tls?: TemporalTls): Promise<boolean> {
  const [host, port] = splitAddress(address);
  if (!(await isListening(host, port))) return false;
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address, connectTimeout: 2_000, ...(tls ? { tls } : {}) });
    await connection.workflowService.describeNamespace({ namespace });
    return true;
  } catch {
    return false;
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

function splitAddress(address: string): [string, number] {
  const idx = address.lastIndexOf(':');
  return [address.slice(0, idx) || '127.0.0.1', Number(address.slice(idx + 1) || 7233)];
}
