import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { metricsAsJson, mergedMetricsText, type MetricsJson } from './metrics';

/** What `/metrics.json` answers: this process's series, and exposition text to append as is (Temporal's). */
export interface PeerMetrics {
  metrics: MetricsJson;
  text: string[];
}

/** Exposition text other endpoints of this process serve (the Temporal SDK's own Prometheus endpoint). */
export type ExtraMetrics = () => Promise<string[]>;

/**
 * Serves `/metrics` (Prometheus text) and `/metrics.json` (for `braid up`'s
 * API to merge) on `port`, for the processes that have no HTTP server of
 * their own (ingest, worker).
 */
export async function serveMetrics(port: number, extra: ExtraMetrics = async () => []): Promise<{ port: number; close: () => Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const answer = async () => {
      if (req.method !== 'GET') return [405, 'text/plain', 'GET only\n'] as const;
      if (path === '/metrics') return [200, 'text/plain; version=0.0.4; charset=utf-8', await mergedMetricsText([], await extra())] as const;
      if (path === '/metrics.json') {
        const body: PeerMetrics = { metrics: await metricsAsJson(), text: await extra() };
        return [200, 'application/json', JSON.stringify(body)] as const;
      }
      return [404, 'text/plain', 'not found: /metrics or /metrics.json\n'] as const;
    };
    answer()
      .then(([status, type, body]) => res.writeHead(status, { 'content-type': type }).end(body))
      .catch((error: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${String(error)}\n`));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '0.0.0.0', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Reads another process's `/metrics.json`; a process that does not answer adds nothing (its absence shows as `up == 0` in Prometheus). */
export async function fetchPeerMetrics(url: string, timeoutMs = 2_000): Promise<PeerMetrics | null> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) return null;
    return (await res.json()) as PeerMetrics;
  } catch {
    return null;
  }
}

/** Reads a Prometheus text endpoint (the Temporal SDK's); empty when it does not answer. */
export async function fetchText(url: string, timeoutMs = 2_000): Promise<string> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    return res.ok ? await res.text() : '';
  } catch {
    return '';
  }
}
