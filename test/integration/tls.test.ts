import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../runtime/config';
import { connectNats } from '../../runtime/services/nats';
import { freePort, isListening } from '../../runtime/services/local-process';
import { natsTls, temporalTls } from '../../runtime/tls';

/** A throwaway CA, a server certificate for 127.0.0.1 and a client certificate, made with openssl. */
function makeCertificates(dir: string): Record<'ca' | 'serverCert' | 'serverKey' | 'clientCert' | 'clientKey', string> {
  const f = (name: string) => join(dir, name);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=braid test CA', '-keyout', f('ca.key'), '-out', f('ca.crt'));
  writeFileSync(f('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  ssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', f('server.key'), '-out', f('server.csr'));
  ssl('x509', '-req', '-in', f('server.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '1', '-extfile', f('server.ext'), '-out', f('server.crt'));
  ssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=braid-ingest', '-keyout', f('client.key'), '-out', f('client.csr'));
  ssl('x509', '-req', '-in', f('client.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '1', '-out', f('client.crt'));
  return { ca: f('ca.crt'), serverCert: f('server.crt'), serverKey: f('server.key'), clientCert: f('client.crt'), clientKey: f('client.key') };
}

/** NATS with mutual TLS, as a production cluster would require: braid connects with NATS_TLS_*; without a client certificate it cannot. */
describe('TLS settings', () => {
  const dir = mkdtempSync(join(tmpdir(), 'braid-tls-'));
  let certs: ReturnType<typeof makeCertificates>;
  let server: ChildProcess;
  let port: number;

  beforeAll(async () => {
    certs = makeCertificates(dir);
    port = await freePort();
    server = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port), '--tls', '--tlscert', certs.serverCert, '--tlskey', certs.serverKey, '--tlscacert', certs.ca, '--tlsverify'], { stdio: 'ignore' });
    for (let i = 0; i < 100 && !(await isListening('127.0.0.1', port)); i++) await new Promise((r) => setTimeout(r, 100));
  });

  afterAll(() => {
    server?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('connects to NATS over mutual TLS with NATS_TLS_CA, NATS_TLS_CERT and NATS_TLS_KEY, and messages flow', async () => {
    const tls = natsTls({ NATS_TLS_CA: certs.ca, NATS_TLS_CERT: certs.clientCert, NATS_TLS_KEY: certs.clientKey });
    const nc = await connectNats(`tls://127.0.0.1:${port}`, 'braid-tls-test', tls);
    const sub = nc.subscribe('braid.tls.check', { max: 1 });
    nc.publish('braid.tls.check', 'over tls');
    for await (const msg of sub) expect(msg.string()).toBe('over tls');
    expect(nc.info?.tls_required).toBe(true);
    await nc.close();
  });

  it('is refused without a client certificate', async () => {
    const tls = natsTls({ NATS_TLS_CA: certs.ca });
    const attempt = (async () => {
      const nc = await connectNats(`tls://127.0.0.1:${port}`, 'braid-tls-test', tls);
      // Some servers accept the TCP connection and drop it at the handshake: a flush then fails.
      await nc.flush();
      await nc.close();
      return 'connected';
    })();
    const outcome = await Promise.race([attempt.catch(() => 'refused'), new Promise((r) => setTimeout(() => r('refused (timed out)'), 5_000))]);
    expect(String(outcome)).toMatch(/^refused/);
  });

  it.each<[string, Record<string, string>, string]>([
    ['a certificate without its key', { NATS_TLS_CERT: 'x' }, 'NATS_TLS_KEY: set NATS_TLS_CERT and NATS_TLS_KEY together'],
    ['a key without its certificate', { NATS_TLS_KEY: 'x' }, 'NATS_TLS_CERT: set NATS_TLS_CERT and NATS_TLS_KEY together'],
    ['a CA file that is not there', { NATS_TLS_CA: '/nonexistent/ca.pem' }, 'NATS_TLS_CA: no file at /nonexistent/ca.pem'],
  ])('refuses %s, naming the variable', (_name, env, message) => {
    expect(() => natsTls(env)).toThrow(ConfigError);
    expect(() => natsTls(env)).toThrow(message);
  });

  it('reads Temporal TLS files into the client settings, and none when nothing is set', () => {
    expect(temporalTls({})).toBeUndefined();
    const tls = temporalTls({ TEMPORAL_TLS_CA: certs.ca, TEMPORAL_TLS_CERT: certs.clientCert, TEMPORAL_TLS_KEY: certs.clientKey, TEMPORAL_TLS_SERVER_NAME: 'temporal.internal' });
    expect(tls?.serverRootCACertificate?.toString()).toContain('BEGIN CERTIFICATE');
    expect(tls?.clientCertPair?.key.toString()).toContain('PRIVATE KEY');
    expect(tls?.serverNameOverride).toBe('temporal.internal');
    expect(() => temporalTls({ TEMPORAL_TLS_KEY: certs.clientKey })).toThrow('TEMPORAL_TLS_CERT: set TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY together');
  });
});
