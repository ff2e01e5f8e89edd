import { existsSync, readFileSync } from 'node:fs';
import { ConfigError, type Config } from './config';

/** nats.js's TLS options for Node: file paths it reads itself. */
export interface NatsTls {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
}

/** @temporalio/client's and @temporalio/worker's TLS settings. */
export interface TemporalTls {
  serverRootCACertificate?: Buffer;
  clientCertPair?: { crt: Buffer; key: Buffer };
  serverNameOverride?: string;
}

function file(name: string, path: string | undefined): string | undefined {
  if (path === undefined) return undefined;
  if (!existsSync(path)) throw new ConfigError([`${name}: no file at ${path}`]);
  return path;
}

function pair(certName: string, cert: string | undefined, keyName: string, key: string | undefined): void {
  if ((cert === undefined) !== (key === undefined)) throw new ConfigError([`${cert === undefined ? certName : keyName}: set ${certName} and ${keyName} together (a client certificate and its key)`]);
}

/**
 * TLS to NATS from NATS_TLS_CA / _CERT / _KEY (PEM files); undefined when none
 * is set (a `tls://` URL still asks for TLS with the system's CAs). A cert
 * without its key, or a file that is not there, fails at start naming the variable.
 */
export function natsTls(config: Pick<Config, 'NATS_TLS_CA' | 'NATS_TLS_CERT' | 'NATS_TLS_KEY'>): NatsTls | undefined {
  pair('NATS_TLS_CERT', config.NATS_TLS_CERT, 'NATS_TLS_KEY', config.NATS_TLS_KEY);
  const tls: NatsTls = {
    ...(config.NATS_TLS_CA ? { caFile: file('NATS_TLS_CA', config.NATS_TLS_CA) } : {}),
    ...(config.NATS_TLS_CERT ? { certFile: file('NATS_TLS_CERT', config.NATS_TLS_CERT), keyFile: file('NATS_TLS_KEY', config.NATS_TLS_KEY) } : {}),
  };
  return Object.keys(tls).length > 0 ? tls : undefined;
}

/** TLS to Temporal from TEMPORAL_TLS_* (PEM files); undefined when none is set. */
export function temporalTls(config: Pick<Config, 'TEMPORAL_TLS_CA' | 'TEMPORAL_TLS_CERT' | 'TEMPORAL_TLS_KEY' | 'TEMPORAL_TLS_SERVER_NAME'>): TemporalTls | undefined {
  pair('TEMPORAL_TLS_CERT', config.TEMPORAL_TLS_CERT, 'TEMPORAL_TLS_KEY', config.TEMPORAL_TLS_KEY);
  if (!config.TEMPORAL_TLS_CA && !config.TEMPORAL_TLS_CERT && !config.TEMPORAL_TLS_SERVER_NAME) return undefined;
  const read = (name: string, path: string | undefined) => (path ? readFileSync(file(name, path) as string) : undefined);
  const ca = read('TEMPORAL_TLS_CA', config.TEMPORAL_TLS_CA);
  const crt = read('TEMPORAL_TLS_CERT', config.TEMPORAL_TLS_CERT);
  const key = read('TEMPORAL_TLS_KEY', config.TEMPORAL_TLS_KEY);
  return {
    ...(ca ? { serverRootCACertificate: ca } : {}),
    ...(crt && key ? { clientCertPair: { crt, key } } : {}),
    ...(config.TEMPORAL_TLS_SERVER_NAME ? { serverNameOverride: config.TEMPORAL_TLS_SERVER_NAME } : {}),
  };
}
