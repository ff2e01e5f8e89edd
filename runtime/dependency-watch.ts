import type { Config } from './config';
import type { Logger } from './logger';
import { countServiceRestart, MAX_SERVICE_RESTARTS } from './service-keeper';
import { isListening, isLocalHost } from './services/local-process';
import { ensureNats } from './services/nats';
import { ensurePostgres } from './services/postgres';

/** How often `braid up` checks the local Postgres and NATS it depends on. */
export const DEPENDENCY_CHECK_MS = 5_000;

interface Dependency {
  name: string;
  host: string;
  port: number;
  start: () => Promise<unknown>;
}

/**
 * Keeps the local Postgres and nats-server `braid up` started (because they
 * were down) running:
 * every few seconds it checks they listen, and starts one that went down
 * again the way `braid up` started it (a log line and
 * braid_up_service_restarts_total). After MAX_SERVICE_RESTARTS failed starts
 * in a row `onGiveUp` hears why. Services braid did not start (a system
 * service, a remote server) are theirs to keep; their outage shows in /readyz.
 * Returns the stop function.
 */
export function watchLocalDependencies(config: Config, log: Logger, startedHere: ReadonlySet<string>, onGiveUp: (message: string) => void): () => void {
  const pg = new URL(config.DATABASE_URL);
  const nats = new URL(config.NATS_URL.split(',')[0]!.includes('://') ? config.NATS_URL.split(',')[0]! : `nats://${config.NATS_URL.split(',')[0]}`);
  const dependencies: Dependency[] = [
    { name: 'Postgres', host: pg.hostname || '127.0.0.1', port: Number(pg.port || 5432), start: () => ensurePostgres(config.DATABASE_URL, log) },
    { name: 'NATS', host: nats.hostname || '127.0.0.1', port: Number(nats.port || 4222), start: () => ensureNats(config.NATS_URL, log) },
  ].filter((d) => isLocalHost(d.host) && startedHere.has(d.name));
  const failures = new Map<string, number>();
  let checking = false;
  const timer = setInterval(() => {
    if (checking) return;
    checking = true;
    void (async () => {
      for (const d of dependencies) {
        if (await isListening(d.host, d.port)) continue;
        log.error({ service: d.name, address: `${d.host}:${d.port}` }, `${d.name} is down; starting it again`);
        try {
          await d.start();
          failures.set(d.name, 0);
          countServiceRestart(d.name);
          log.warn({ service: d.name }, `${d.name} is running again`);
        } catch (error) {
          const n = (failures.get(d.name) ?? 0) + 1;
          failures.set(d.name, n);
          log.error({ service: d.name, err: error, attempts: n }, `${d.name} could not be started again`);
          if (n >= MAX_SERVICE_RESTARTS) {
            clearInterval(timer);
            onGiveUp(`${d.name} at ${d.host}:${d.port} is down and could not be started again (${n} attempts): ${(error as Error).message}`);
            return;
          }
        }
      }
    })().finally(() => {
      checking = false;
    });
  }, DEPENDENCY_CHECK_MS);
  timer.unref();
  return () => clearInterval(timer);
}
