import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect as tcpConnect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CANDIDATES = [process.env.BRAID_TEST_NATS_SERVER, '/usr/sbin/nats-server', '/usr/local/bin/nats-server', '/usr/bin/nats-server'];

export function natsServerInstalled(): boolean {
  return CANDIDATES.some((c) => Boolean(c) && existsSync(c as string));
}

export interface PrivateNatsServerOptions {
  /** The client port; a free one when absent. */
  port?: number;
  /** More nats-server arguments, e.g. a cluster member's name, cluster port and routes. */
  extraArgs?: string[];
}

/**
 * A private nats-server with JetStream for one test file (or one test run), on its own port and
 * store directory, so a test can kill and restart it without touching the
 * shared NATS other tests use. A restart keeps the port and the store, as a
 * real server restart does.
 */
export class PrivateNatsServer {
  private child: ChildProcess | null = null;
  readonly storeDir = mkdtempSync(join(tmpdir(), 'braid-nats-'));
  port: number;
  private readonly extraArgs: string[];

  constructor(options: PrivateNatsServerOptions = {}) {
    this.port = options.port ?? 0;
    this.extraArgs = options.extraArgs ?? [];
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== null;
  }

  async start(): Promise<void> {
    if (this.child) return;
    if (this.port === 0) this.port = await freePort();
    const binary = CANDIDATES.find((c): c is string => Boolean(c) && existsSync(c as string));
    if (!binary) throw new Error('nats-server not found (set BRAID_TEST_NATS_SERVER)');
    const args = ['-js', '-a', '127.0.0.1', '-p', String(this.port), '-sd', this.storeDir, ...this.extraArgs];
    const child = spawn(binary, args, { stdio: 'ignore' });
    this.child = child;
    child.on('exit', () => {
      if (this.child === child) this.child = null;
    });
    await waitUntil(() => isListening(this.port), 15_000, `nats-server on ${this.port}`);
  }

  /** Kills the server at once (SIGKILL), as a crash would. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
    this.child = null;
    await waitUntil(async () => !(await isListening(this.port)), 5_000, `port ${this.port} to close`);
  }

  async restart(): Promise<void> {
    await this.kill();
    await this.start();
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.storeDir, { recursive: true, force: true });
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

export function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * A TCP path to a NATS server that a test can break in two ways: `cut()`
 * drops every connection and refuses new ones (the server went away), and
 * `stallAfterPublishes(n)` lets exactly n more JetStream publishes through
 * and then silently swallows what the client sends while answers still come
 * back (a half-dead link in the middle of a request). `restore()` heals both.
 */
export class NatsPathProxy {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private allowance: number | null = null;
  private stalled = false;
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  async start(port = 0): Promise<number> {
    this.server = createServer((client) => {
      const upstream = tcpConnect(this.target);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => s.destroy());
      }
      const matcher = new PublishMatcher();
      client.on('data', (chunk: Buffer) => {
        if (this.stalled) return;
        if (this.allowance === null) {
          upstream.write(chunk);
          return;
        }
        const cutAt = matcher.findNth(chunk, this.allowance + 1);
        if (cutAt === null) {
          this.allowance -= matcher.lastCount;
          upstream.write(chunk);
          return;
        }
        upstream.write(chunk.subarray(0, cutAt));
        this.stalled = true;
      });
      upstream.pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
    return this.port;
  }

  /** Lets `n` more publishes through, then swallows everything the client sends. */
  stallAfterPublishes(n: number): void {
    this.allowance = n;
    this.stalled = false;
  }

  async cut(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = null;
  }

  async restore(): Promise<void> {
    this.allowance = null;
    this.stalled = false;
    if (!this.server) await this.start(this.port);
  }

  async stop(): Promise<void> {
    await this.cut();
  }
}

/** Finds JetStream publishes (`HPUB braid.raw.`) in a byte stream, across chunk boundaries. */
class PublishMatcher {
  private static readonly PATTERN = Buffer.from('HPUB braid.raw.');
  private state = 0;
  lastCount = 0;

  /** The offset in `chunk` where the nth publish from here starts, or null (then `lastCount` says how many started). */
  findNth(chunk: Buffer, n: number): number | null {
    const p = PublishMatcher.PATTERN;
    let count = 0;
    for (let i = 0; i < chunk.length; i += 1) {
      const byte = chunk[i];
      if (byte === p[this.state]) this.state += 1;
      else this.state = byte === p[0] ? 1 : 0;
      if (this.state === p.length) {
        this.state = 0;
        count += 1;
        if (count === n) {
          const start = i - p.length + 1;
          // A publish whose first bytes came in an earlier chunk already went through in part; stop at this chunk's start.
          return Math.max(0, start);
        }
      }
    }
    this.lastCount = count;
    return null;
  }
}
