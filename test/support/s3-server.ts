import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../../runtime/paths';

const run = promisify(execFile);

/**
 * A real S3-compatible server for one test file: gofakes3 (MIT), in memory,
 * on a free port of 127.0.0.1, with one bucket. The binary is built once into
 * the braid cache by scripts/build-s3-test-server.sh (`go install` from the Go
 * module proxy), which this runs first: a fresh clone and CI need nothing else.
 */
export interface S3TestServer {
  endpoint: string;
  bucket: string;
  /** The standard AWS variables that reach it (path-style through AWS_ENDPOINT_URL). */
  env: Record<string, string>;
  stop(): Promise<void>;
}

export async function startS3Server(bucket = 'braid-lake'): Promise<S3TestServer> {
  // The build takes about ten seconds the first time; later it only prints the binary's path.
  const built = await run('bash', [join(repoRoot, 'scripts', 'build-s3-test-server.sh')], { timeout: 600_000 });
  const binary = built.stdout.trim().split('\n').pop()!;
  const child = spawn(binary, ['-backend', 'mem', '-initialbucket', bucket, '-host', '127.0.0.1:0', '-quiet'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const port = await new Promise<number>((resolve, reject) => {
    let said = '';
    const timer = setTimeout(() => reject(new Error(`gofakes3 did not say its port within 15 s: ${said}`)), 15_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      said += chunk.toString();
      const m = /using port: (\d+)/.exec(said);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`gofakes3 exited with ${code ?? signal}: ${said}`));
    });
  });
  child.stderr!.resume();
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    bucket,
    env: { AWS_ENDPOINT_URL: endpoint, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'braid-test', AWS_SECRET_ACCESS_KEY: 'braid-test-secret' },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
