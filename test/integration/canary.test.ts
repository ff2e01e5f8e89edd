import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ArmCounts } from '../../contracts/canary';
import { inCanaryArm, type CanarySplit } from '../../rules/canary-arm';
import { repoRoot } from '../../runtime/paths';
import { msgId, sleep, track } from '../support/events';
import { finished, waitForOperation } from '../support/operations';
import { startStack, uniqueId, type Stack } from '../support/stack';

const execFileAsync = promisify(execFile);

/** Long enough for ingest's project directory (reloaded every 5 s) to see a canary that just began or ended. */
const RULES_RELOAD_MS = 6_000;

type Canary = { id: string; status: string; percent: number; rulesVersions: { control: number; canary: number }; arms: { control: ArmCounts; canary: ArmCounts } };

/**
 * Canary rule changes on the real services: a naming rule that blocks (and a
 * 1-minute session timeout) tried on 20 % of devices with `braid synth`
 * traffic, whose arms' figures equal the database's and whose lineage shows
 * both rules versions device by device; promoted. Another canary, on half of
 * the devices, rolled back with a production replay that writes the canary
 * arm's rejected events under the restored rules, and only those devices'.
 */
describe('canary rule changes', () => {
  const promoted = uniqueId('cnp');
  const rolledBack = uniqueId('cnr');
  const dir = mkdtempSync(join(tmpdir(), 'braid-canary-'));
  let stack: Stack;

  const braid = async (...args: string[]) => {
    const env = { ...process.env, BRAID_LOG_LEVEL: 'silent', BRAID_API_URL: stack.api!.url, BRAID_TOKEN: stack.api!.adminToken };
    return execFileAsync(process.execPath, [join(repoRoot, 'bin', 'braid.js'), ...args], { env, cwd: repoRoot, maxBuffer: 16 * 1024 * 1024 });
  };
  const split = (c: Canary): CanarySplit => ({ id: c.id, percent: c.percent, version: c.rulesVersions.canary });
  const inArm = (c: Canary, channel: string, deviceKey: string) => inCanaryArm(split(c), channel, deviceKey);

  /** Each first write of the project's events: its device and the rules version lineage gives it. */
  const firstWrites = async (projectId: string) =>
    (
      await stack.pool.query<{ event_id: string; channel: string; device_key: string; rules_version: number }>(
        `SELECT e.event_id, e.channel, e.device_key, l.rules_version FROM braid.canonical_events e
         JOIN braid.lineage l ON l.project_id = e.project_id AND l.event_id = e.event_id AND l.replay_id IS NULL
         WHERE e.project_id = $1`,
        [projectId],
      )
    ).rows;

  beforeAll(async () => {
    stack = await startStack({ api: true, projects: [{ projectId: promoted, name: 'canary promoted' }, { projectId: rolledBack, name: 'canary rolled back' }] });
  });

  afterAll(async () => {
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a canary of settings it cannot split by device, and a percent out of range, naming the field', async () => {
    const channels = await stack.api!.call('POST', `/api/projects/${promoted}/canaries`, { changes: { channels: ['web'] }, percent: 20 });
    expect(channels.status).toBe(400);
    expect(JSON.stringify(channels.body)).toContain('channels cannot be tried on a share of devices');
    const percent = await stack.api!.call('POST', `/api/projects/${promoted}/canaries`, { changes: { sessionTimeoutMinutes: 5 }, percent: 100 });
    expect(percent.status).toBe(400);
    expect(JSON.stringify(percent.body)).toContain('percent');
    const same = await stack.api!.call('POST', `/api/projects/${promoted}/canaries`, { changes: { sessionTimeoutMinutes: 30 }, percent: 20 });
    expect(same.status).toBe(400);
    expect(same.body.error.code).toBe('no_change');
  });

  it('a canary at 20 %: both arms match the database, lineage shows both versions, then it is promoted', async () => {
    const started = await braid('rules', 'canary', 'start', '-p', promoted, '--percent', '20', '--json', '--changes', JSON.stringify({ namingConvention: 'snake_case', trackingPlan: { namingViolations: 'block' }, sessionTimeoutMinutes: 1 }));
    const { id } = JSON.parse(started.stdout) as { id: string };
    const again = await stack.api!.call('POST', `/api/projects/${promoted}/canaries`, { changes: { sessionTimeoutMinutes: 5 }, percent: 10 });
    expect(again.status).toBe(409);
    const patch = await stack.api!.call('PATCH', `/api/projects/${promoted}`, { namingConvention: 'any' });
    expect(patch.status).toBe(409);
    expect(JSON.stringify(patch.body)).toContain(id);
    // A change the canary does not try is still allowed, and leaves every other setting as it was.
    const hosts = await stack.api!.call('PATCH', `/api/projects/${promoted}`, { name: 'canary promoted (renamed)' });
    expect(hosts.status).toBe(200);
    expect(hosts.body.namingConvention).toBe('object_action_title');
    await sleep(RULES_RELOAD_MS);

    const expect1 = join(dir, 'synth.json');
    const ran = await braid('synth', 'run', '-p', promoted, '--seed', '4', '--events', '400', '--via', 'nats', '--expect', expect1);
    expect(ran.stdout).toContain('published 400 messages');
    await stack.drained(promoted, 400, 90_000);

    const canary = (await stack.api!.call<Canary>('GET', `/api/projects/${promoted}/canaries/${id}`)).body;
    expect(canary.status).toBe('running');
    const { control: controlVersion, canary: canaryVersion } = canary.rulesVersions;
    expect(canaryVersion).toBeGreaterThan(controlVersion);

    // Lineage: every event written under the version of its device's arm.
    const writes = await firstWrites(promoted);
    expect(writes.length).toBeGreaterThan(100);
    const wrong = writes.filter((w) => w.rules_version !== (inArm(canary, w.channel, w.device_key) ? canaryVersion : controlVersion));
    expect(wrong).toEqual([]);
    const versions = new Set(writes.map((w) => w.rules_version));
    expect([...versions].sort()).toEqual([controlVersion, canaryVersion].sort());

    // The arms' figures, counted here from the rows themselves.
    const devices = (arm: boolean) => new Set(writes.filter((w) => inArm(canary, w.channel, w.device_key) === arm).map((w) => `${w.channel}|${w.device_key}`));
    const rejections = (
      await stack.pool.query<{ reason: string; rules_version: number | null; n: number }>(
        'SELECT reason, rules_version, count(*)::int AS n FROM braid.rejected_events WHERE project_id = $1 GROUP BY 1, 2',
        [promoted],
      )
    ).rows;
    const byReason = (version: number | null) => Object.fromEntries(rejections.filter((r) => (version === canaryVersion ? r.rules_version === canaryVersion : r.rules_version !== canaryVersion)).map((r) => [r.reason, r.n]));
    const suppressed = (
      await stack.pool.query<{ canary: boolean; n: number }>('SELECT rules_version = $2 AS canary, count(*)::int AS n FROM braid.suppressions WHERE project_id = $1 GROUP BY 1', [promoted, canaryVersion])
    ).rows;
    for (const [arm, isCanary] of [['control', false], ['canary', true]] as const) {
      const counts = canary.arms[arm];
      expect(counts.written, arm).toBe(writes.filter((w) => (w.rules_version === canaryVersion) === isCanary).length);
      expect(counts.rejectedByReason, arm).toEqual(byReason(isCanary ? canaryVersion : controlVersion));
      expect(counts.rejected, arm).toBe(Object.values(byReason(isCanary ? canaryVersion : controlVersion)).reduce((a, b) => a + b, 0));
      expect(counts.suppressed, arm).toBe(suppressed.find((s) => s.canary === isCanary)?.n ?? 0);
      expect(counts.devices, arm).toBeGreaterThanOrEqual(devices(isCanary).size);
      expect(counts.written, arm).toBeGreaterThan(0);
    }
    // The canary arm blocks Title Case event names; the control arm keeps them.
    expect(canary.arms.canary.rejectedByReason.naming_violation).toBeGreaterThan(0);
    expect(canary.arms.control.rejectedByReason.naming_violation).toBeUndefined();
    const canaryShare = canary.arms.canary.devices / (canary.arms.canary.devices + canary.arms.control.devices);
    expect(canaryShare).toBeGreaterThan(0.05);
    expect(canaryShare).toBeLessThan(0.45);
    // The canary arm's sessions end after 1 minute of inactivity (where the client names no session of its own).
    const gaps = await stack.pool.query<{ arm: string; gap_s: number }>(
      `SELECT CASE WHEN rules_version = $2 THEN 'canary' ELSE 'control' END AS arm, max(extract(epoch FROM event_time - prev))::float AS gap_s FROM (
         SELECT l.rules_version, e.event_time, lag(e.event_time) OVER (PARTITION BY e.session_id ORDER BY e.event_time) AS prev
         FROM braid.canonical_events e JOIN braid.lineage l ON l.project_id = e.project_id AND l.event_id = e.event_id AND l.replay_id IS NULL
         WHERE e.project_id = $1 AND e.client_session_id IS NULL) e GROUP BY 1`,
      [promoted, canaryVersion],
    );
    const gap = Object.fromEntries(gaps.rows.map((r) => [r.arm, r.gap_s]));
    // (null: every canary session without a client id holds events no more than a minute apart, or one event)
    expect(gap.canary ?? 0).toBeLessThanOrEqual(60);
    expect(gap.control).toBeGreaterThan(60);

    // A funnel per arm, by device; and the share of events without each common property.
    const steps = ['Product Viewed', 'Product Added', 'Order Completed'];
    const withFunnel = (await stack.api!.call<Canary>('GET', `/api/projects/${promoted}/canaries/${id}?${new URLSearchParams([...steps.map((s): [string, string] => ['steps', s]), ['window', '1d']])}`)).body;
    const viewers = await stack.pool.query<{ canary: boolean; n: number }>(
      `SELECT l.rules_version = $2 AS canary, count(DISTINCT (e.channel, e.device_key))::int AS n FROM braid.canonical_events e
       JOIN braid.lineage l ON l.project_id = e.project_id AND l.event_id = e.event_id AND l.replay_id IS NULL
       WHERE e.project_id = $1 AND e.event = 'Product Viewed' GROUP BY 1`,
      [promoted, canaryVersion],
    );
    const controlFunnel = withFunnel.arms.control.funnel!;
    expect(controlFunnel.map((s) => s.event)).toEqual(steps);
    expect(controlFunnel[0]!.devices).toBe(viewers.rows.find((r) => !r.canary)?.n);
    expect(controlFunnel[0]!.devices).toBeGreaterThan(0);
    expect(controlFunnel[1]!.devices).toBeLessThanOrEqual(controlFunnel[0]!.devices);
    expect(controlFunnel[2]!.devices).toBeLessThanOrEqual(controlFunnel[1]!.devices);
    // Title Case names are blocked in the canary arm: its funnel is empty.
    expect(withFunnel.arms.canary.funnel!.map((s) => s.devices)).toEqual([0, 0, 0]);
    const nulls = await stack.pool.query<{ n: number; missing: number }>(
      `SELECT count(*)::int AS n, count(*) FILTER (WHERE e.properties -> 'revenue' IS NULL OR e.properties -> 'revenue' = 'null'::jsonb)::int AS missing
       FROM braid.canonical_events e JOIN braid.lineage l ON l.project_id = e.project_id AND l.event_id = e.event_id AND l.replay_id IS NULL
       WHERE e.project_id = $1 AND e.event = 'Order Completed' AND e.type = 'track' AND l.rules_version IS DISTINCT FROM $2`,
      [promoted, canaryVersion],
    );
    const rate = withFunnel.arms.control.nullRates['Order Completed.revenue'];
    expect(rate).toBeCloseTo(nulls.rows[0]!.missing / nulls.rows[0]!.n, 4);

    const status = await braid('rules', 'canary', 'status', id, '-p', promoted, '--steps', steps.join(','));
    expect(status.stdout).toContain('funnel 1. Product Viewed');
    expect(status.stdout).toContain('naming_violation');
    expect(status.stdout).toMatch(/written\s+\|?\s*\d+/);

    const promotedAnswer = await braid('rules', 'canary', 'promote', id, '-p', promoted, '--json');
    expect(JSON.parse(promotedAnswer.stdout).status).toBe('promoted');
    const project = (await stack.api!.call('GET', `/api/projects/${promoted}`)).body;
    expect(project.namingConvention).toBe('snake_case');
    expect(project.trackingPlan.namingViolations).toBe('block');
    expect(project.sessionTimeoutMinutes).toBe(1);
    expect(project.name).toBe('canary promoted (renamed)');
    const version = await stack.pool.query<{ rules_version: number }>('SELECT rules_version FROM braid.projects WHERE project_id = $1', [promoted]);
    expect(version.rows[0]?.rules_version).toBe(canaryVersion);
    const promoteAgain = await stack.api!.call('POST', `/api/projects/${promoted}/canaries/${id}/promote`);
    expect(promoteAgain.status).toBe(409);

    // Every device now has the canary's rules under its version.
    await sleep(RULES_RELOAD_MS);
    const control = writes.find((w) => !inArm(canary, w.channel, w.device_key) && w.device_key.startsWith('a:'))!;
    const after = [track({ anonymousId: control.device_key.slice(2), event: 'Order Completed' }), track({ anonymousId: control.device_key.slice(2), event: 'order_completed' })];
    for (const e of after) await stack.publish(`braid.raw.${promoted}.${control.channel}`, e);
    await stack.drained(promoted, 402, 60_000);
    const last = await stack.pool.query<{ reason: string | null; rules_version: number }>(
      `SELECT NULL AS reason, l.rules_version FROM braid.lineage l WHERE l.project_id = $1 AND l.event_id = $2
       UNION ALL SELECT r.reason, r.rules_version FROM braid.rejected_events r WHERE r.project_id = $1 AND r.message_id = $3`,
      [promoted, after[1]!.messageId, after[0]!.messageId],
    );
    expect(last.rows).toEqual(expect.arrayContaining([{ reason: null, rules_version: canaryVersion }, { reason: 'naming_violation', rules_version: canaryVersion }]));
  });

  it('a canary rolled back with a replay: the canary arm is rewritten under the restored rules, the control arm untouched', async () => {
    const start = await stack.api!.call<{ id: string }>('POST', `/api/projects/${rolledBack}/canaries`, { changes: { namingConvention: 'snake_case', trackingPlan: { namingViolations: 'block' } }, percent: 50 });
    expect(start.status).toBe(202);
    const id = start.body.id;
    await sleep(RULES_RELOAD_MS);
    const events = Array.from({ length: 40 }, (_, d) => [1, 2, 3].map((n) => track({ anonymousId: `dev-${d}`, event: 'Order Completed', messageId: msgId(`d${d}-${n}`) }))).flat();
    for (const e of events) await stack.publish(`braid.raw.${rolledBack}.web`, e);
    await stack.drained(rolledBack, events.length, 60_000);
    const running = (await stack.api!.call<Canary>('GET', `/api/projects/${rolledBack}/canaries/${id}`)).body;
    const canaryDevices = Array.from({ length: 40 }, (_, d) => `dev-${d}`).filter((d) => inArm(running, 'web', `a:${d}`));
    expect(canaryDevices.length).toBeGreaterThan(5);
    expect(running.arms.canary.rejectedByReason).toEqual({ naming_violation: canaryDevices.length * 3 });
    expect(running.arms.control.written).toBe((40 - canaryDevices.length) * 3);
    expect(running.arms.canary.written).toBe(0);
    // Devices count where any of their events went: these were all rejected.
    expect(running.arms.canary.devices).toBe(canaryDevices.length);
    expect(running.arms.control.devices).toBe(40 - canaryDevices.length);

    const rollback = await stack.api!.call<{ status: string; replay: { id: string } }>('POST', `/api/projects/${rolledBack}/canaries/${id}/rollback`, { replay: true });
    expect(rollback.status).toBe(200);
    expect(rollback.body.status).toBe('rolled_back');
    const op = await waitForOperation(stack, `/api/replays/${rollback.body.replay.id}`, finished, 120_000);
    expect(op.status).toBe('completed');

    const canonical = await stack.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM analytics.events WHERE project_id = $1', [rolledBack]);
    expect(canonical.rows[0]?.n).toBe(events.length);
    const replayed = await stack.pool.query<{ device_key: string; rules_version: number }>(
      `SELECT DISTINCT e.device_key, l.rules_version FROM braid.lineage l JOIN braid.canonical_events e ON e.project_id = l.project_id AND e.event_id = l.event_id
       WHERE l.project_id = $1 AND l.replay_id = $2`,
      [rolledBack, rollback.body.replay.id],
    );
    expect(replayed.rows.map((r) => r.device_key.slice(2)).sort()).toEqual([...canaryDevices].sort());
    expect(new Set(replayed.rows.map((r) => r.rules_version))).toEqual(new Set([running.rulesVersions.control]));
    const unresolved = await stack.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM braid.rejected_events WHERE project_id = $1 AND resolved_at IS NULL', [rolledBack]);
    expect(unresolved.rows[0]?.n).toBe(0);
    const project = (await stack.api!.call('GET', `/api/projects/${rolledBack}`)).body;
    expect(project.namingConvention).toBe('object_action_title');
  });
});
