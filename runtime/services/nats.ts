import type { NatsTls } from '../tls';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from 'nats';
import type { Logger } from '../logger';
import { cacheDir } from '../paths';
import { findExecutable, freePort, isListening, isLocalHost, startDetached, waitFor } from './local-process';

/**
 * Makes NATS_URL usable: when the local server is down, starts nats-server
 * with JetStream and a store directory, as the machine's own service would.
 * A list of servers is a cluster: braid never starts a node of it, the
 * client connects to whichever answers. Says whether it started one.
 */
export async function ensureNats(natsUrl: string, log: Logger): Promise<boolean> {
  const servers = natsUrl.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (servers.length !== 1) return false;
  const first = servers[0] as string;
  const url = new URL(first.includes('://') ? first : `nats://${first}`);
  const host = url.hostname || '127.0.0.1';
  const port = Number(url.port || 4222);
  if (await isListening(host, port)) return false;
  if (!isLocalHost(host)) throw new Error(`NATS at ${host}:${port} is not reachable (NATS_URL)`);
  const server = findExecutable(['nats-server', '/usr/sbin/nats-server', '/usr/local/bin/nats-server']);
  if (!server) throw new Error('NATS is not running and nats-server was not found; set NATS_URL to a running server');
  const storeDir = join(cacheDir(), 'nats-store');
  mkdirSync(storeDir, { recursive: true });
  log.info({ server, storeDir, port }, 'starting a local nats-server with JetStream');
  startDetached(server, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir]);
  await waitFor(`NATS on ${host}:${port}`, () => isListening(host, port), 15_000);
  return true;
}

export function connectNats(natsUrl: string, name: string, tls?: NatsTls): Promise<NatsConnection> {
  // noAsyncTraces: no stack captured per request (each JetStream publish is one); errors still say what failed.
  return connect({ servers: natsUrl.split(','), name, maxReconnectAttempts: -1, reconnectTimeWait: 500, noAsyncTraces: true, ...(tls ? { tls } : {}) });
}

export interface PrivateNats {
  url: string;
  /** The nats-server process (the benchmark reads its CPU and memory). */
  pid: number | undefined;
  stop(): Promise<void>;
}

/**
 * A nats-server with JetStream of one's own, on a free port with a temporary
 * store (the benchmark uses one, so its traffic never reaches the BRAID_RAW a
 * braid on this machine reads). Null when nats-server is not installed.
 */
export async function startPrivateNats(log: Logger): Promise<PrivateNats | null> {
  const server = findExecutable(['nats-server', '/usr/sbin/nats-server', '/usr/local/bin/nats-server']);
  if (!server) return null;
  const port = await freePort();
  const storeDir = mkdtempSync(join(tmpdir(), 'braid-nats-'));
  const child = spawn(server, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir], { stdio: 'ignore' });
  await waitFor(`a private nats-server on ${port}`, () => isListening('127.0.0.1', port), 15_000);
  log.info({ port }, 'started a private nats-server');
  return {
    url: `nats://127.0.0.1:${port}`,
    pid: child.pid,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => {
          rmSync(storeDir, { recursive: true, force: true });
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}
