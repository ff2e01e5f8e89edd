import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthExpectationSchema, type SynthExpectation } from '../../contracts/synth';
import { repoRoot } from '../../runtime/paths';
import { startStack, uniqueId, type Stack } from '../support/stack';

const execFileAsync = promisify(execFile);

/**
 * `braid synth` on the real services: traffic from a seed, over NATS and
 * through the HTTP collector, lands exactly as the expectation computed from
 * braid's documented rules says (`verify` exits 0); an expectation with one
 * figure changed, and a project whose session rule differs from the default
 * the expectation follows, make `verify` exit 1 naming the figure.
 */
describe('braid synth', () => {
  const natsProject = uniqueId('synn');
  const httpProject = uniqueId('synh');
  // The rule deliberately broken: sessions end after 1 minute of inactivity instead of braid's default 30.
  const shortSessions = uniqueId('syns');
  const dir = mkdtempSync(join(tmpdir(), 'braid-synth-'));
  let stack: Stack;
  let env: NodeJS.ProcessEnv;

  const braid = async (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
    try {
      const { stdout, stderr } = await execFileAsync(process.execPath, [join(repoRoot, 'bin', 'braid.js'), ...args], { env, cwd: repoRoot, maxBuffer: 16 * 1024 * 1024 });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code?: number; stdout?: string; stderr?: string };
      if (typeof e.code !== 'number') throw error;
      return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
    }
  };
  const readExpectation = (file: string): SynthExpectation => synthExpectationSchema.parse(JSON.parse(readFileSync(file, 'utf8')));

  beforeAll(async () => {
    stack = await startStack({
      api: true,
      projects: [
        { projectId: natsProject, name: 'synth over NATS' },
        { projectId: httpProject, name: 'synth over HTTP' },
        { projectId: shortSessions, name: 'synth, 1-minute sessions', sessionTimeoutMinutes: 1 },
      ],
    });
    env = { ...process.env, BRAID_LOG_LEVEL: 'silent', BRAID_API_URL: stack.api!.url };
  });

  afterAll(async () => {
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('over NATS: 300 events of seed 1 land as expected, and a changed figure is named', async () => {
    const file = join(dir, 'nats.json');
    const ran = await braid('synth', 'run', '-p', natsProject, '--seed', '1', '--events', '300', '--via', 'nats', '--expect', file);
    expect(ran.stderr).not.toContain('note:');
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stdout).toContain(`published 300 messages (seed 1) to project ${natsProject} via nats`);
    const expectation = readExpectation(file);
    const a = expectation.expected.accounting;
    expect(a.accepted).toBe(300);
    expect(a.accepted).toBe(a.canonical + a.rejected + a.suppressed + a.duplicates);
    expect(Object.keys(expectation.expected.rejectionsByReason).sort()).toEqual(['invalid_timestamp', 'missing_event', 'missing_identity', 'missing_message_id']);
    expect(a.suppressed).toBeGreaterThan(0);
    expect(a.duplicates).toBeGreaterThan(0);

    const verified = await braid('synth', 'verify', '-p', natsProject, '--expect', file, '--timeout', '90');
    expect(verified.stdout + verified.stderr).toContain(`project ${natsProject} matches the expectation of seed 1`);
    expect(verified.code).toBe(0);
    // The views say so too, read here directly.
    const accounting = await stack.accounting(natsProject);
    expect({ ...accounting, inFlight: undefined, projectId: undefined }).toEqual({ ...a, inFlight: undefined, projectId: undefined });
    const persons = await stack.pool.query<{ n: number }>('SELECT count(DISTINCT person_id)::int AS n FROM analytics.events WHERE project_id = $1', [natsProject]);
    expect(persons.rows[0]?.n).toBe(expectation.expected.persons);

    // One figure altered in the expectation: verify exits 1 and names it, with both numbers.
    const altered = join(dir, 'nats-altered.json');
    writeFileSync(altered, JSON.stringify({ ...expectation, expected: { ...expectation.expected, persons: expectation.expected.persons + 1 } }));
    const failed = await braid('synth', 'verify', '-p', natsProject, '--expect', altered, '--timeout', '30');
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain(`persons: expected ${expectation.expected.persons + 1}, actual ${expectation.expected.persons}`);
    const json = await braid('synth', 'verify', '-p', natsProject, '--expect', altered, '--json');
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout).differences).toEqual([{ figure: 'persons', expected: expectation.expected.persons + 1, actual: expectation.expected.persons }]);

    // The project now has traffic: another run would not know its totals, and is refused.
    const again = await braid('synth', 'run', '-p', natsProject, '--seed', '2', '--events', '100', '--expect', join(dir, 'again.json'));
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`project ${natsProject} already has 300 accepted messages`);
    // An expectation of another project is refused too.
    const wrong = await braid('synth', 'verify', '-p', httpProject, '--expect', file);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain(`is the expectation of project ${natsProject}, not ${httpProject}`);
  });

  it('through the HTTP collector with write keys, at a set rate: lands as expected', async () => {
    const keys: Record<string, string> = {};
    for (const channel of ['web', 'mobile', 'backend']) {
      const rotated = await stack.api!.call<{ key: string }>('POST', `/api/projects/${httpProject}/write-keys`, { channel });
      expect(rotated.status).toBe(201);
      keys[channel] = rotated.body.key;
    }
    const keysFile = join(dir, 'keys.json');
    writeFileSync(keysFile, JSON.stringify({ projectId: httpProject, writeKeys: keys }));
    const file = join(dir, 'http.json');
    const ran = await braid('synth', 'run', '-p', httpProject, '--seed', '1', '--events', '300', '--via', 'http', '--write-keys', keysFile, '--rate', '400', '--expect', file);
    expect(ran.code, ran.stderr).toBe(0);
    const expectation = readExpectation(file);
    // Over HTTP the collector refuses the malformed events at the door (and names a missing messageId), and JetStream drops the retries.
    expect(Object.keys(expectation.collectorRejections).sort()).toEqual(['invalid_timestamp', 'missing_event', 'missing_identity']);
    expect(expectation.jetstreamDuplicates).toBeGreaterThan(0);
    expect(expectation.expected.accounting.rejected).toBe(0);

    const verified = await braid('synth', 'verify', '-p', httpProject, '--expect', file, '--timeout', '90');
    expect(verified.stdout + verified.stderr).toContain(`project ${httpProject} matches the expectation of seed 1`);
    expect(verified.code).toBe(0);
  });

  it('a project whose session rule differs from the default: verify exits 1 naming sessions, and only sessions', async () => {
    const file = join(dir, 'short.json');
    const ran = await braid('synth', 'run', '-p', shortSessions, '--seed', '1', '--events', '300', '--expect', file);
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stderr).toContain(`note: project ${shortSessions} has sessionTimeoutMinutes 1; the expectation follows braid's default 30`);
    const expectation = readExpectation(file);

    const verified = await braid('synth', 'verify', '-p', shortSessions, '--expect', file, '--timeout', '90', '--json');
    expect(verified.code).toBe(1);
    const outcome = JSON.parse(verified.stdout) as { ok: boolean; drained: boolean; differences: { figure: string; expected: number; actual: number }[] };
    expect(outcome.ok).toBe(false);
    expect(outcome.drained).toBe(true);
    expect(outcome.differences.map((d) => d.figure)).toEqual(['sessions']);
    expect(outcome.differences[0]?.expected).toBe(expectation.expected.sessions);
    expect(outcome.differences[0]?.actual).toBeGreaterThan(expectation.expected.sessions);

    const text = await braid('synth', 'verify', '-p', shortSessions, '--expect', file, '--timeout', '30');
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(`sessions: expected ${expectation.expected.sessions}, actual ${outcome.differences[0]?.actual}`);
  });
});
