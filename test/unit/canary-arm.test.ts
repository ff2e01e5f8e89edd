import { describe, expect, it } from 'vitest';
import { rollbackCanarySchema, startCanarySchema } from '../../contracts/canary';
import { defaultProjectSettings, SETTINGS_KEYS, settingsPatchSchema } from '../../contracts/project';
import { canaryBucket, changedSettings, inCanaryArm, messageDeviceIds, messageInArm, rulesForDevice, type CanarySplit } from '../../rules/canary-arm';
import { decodeMessage, type ProjectRules } from '../../rules/decode-message';
import { deviceKey } from '../../rules/session-key';

const SPLIT: CanarySplit = { id: 'cn_0123456789abcdef', percent: 20, version: 7 };

describe('canaryBucket', () => {
  it('is the same for the same canary, channel and device, and within 0..99', () => {
    for (const key of ['a:anon-1', 'u:user-1', 'a:', 'a:☃ snow', `a:${'x'.repeat(10_000)}`]) {
      const bucket = canaryBucket(SPLIT.id, 'web', key);
      expect(bucket).toBe(canaryBucket(SPLIT.id, 'web', key));
      expect(Number.isInteger(bucket) && bucket >= 0 && bucket < 100).toBe(true);
    }
  });

  it.each([
    { canary: 'cn_a', channel: 'web', key: 'a:anon-1', bucket: 1 },
    { canary: 'cn_a', channel: 'mobile', key: 'a:anon-1', bucket: 29 },
    { canary: 'cn_b', channel: 'web', key: 'a:anon-1', bucket: 6 },
    { canary: 'cn_a', channel: 'web', key: 'u:user-1', bucket: 12 },
    { canary: 'cn_0123456789abcdef', channel: 'backend', key: 'u:user_27690645a8', bucket: 90 },
  ])('pins $canary $channel $key to $bucket: a release that moved devices between arms mid-canary fails here', ({ canary, channel, key, bucket }) => {
    expect(canaryBucket(canary, channel, key)).toBe(bucket);
  });

  it.each([1, 20, 50, 99])('at percent %i: takes that share of 20,000 devices, and a new canary draws a new split', (percent) => {
    const keys = Array.from({ length: 20_000 }, (_, i) => `a:device-${i}`);
    const taken = keys.filter((k) => inCanaryArm({ ...SPLIT, percent }, 'web', k));
    expect(Math.abs(taken.length / keys.length - percent / 100)).toBeLessThan(0.015);
    const other = new Set(keys.filter((k) => inCanaryArm({ ...SPLIT, id: 'cn_other', percent }, 'web', k)));
    if (percent < 99) expect(taken.filter((k) => other.has(k)).length).toBeLessThan(taken.length);
  });
});

describe('messageDeviceIds', () => {
  it.each([
    { label: 'anonymousId', payload: { anonymousId: 'anon-1' }, expected: { anonymousId: 'anon-1' } },
    { label: 'both', payload: { anonymousId: 'anon-1', userId: 'user-1' }, expected: { anonymousId: 'anon-1', userId: 'user-1' } },
    { label: 'numeric userId, as the envelope reads it', payload: { userId: 42 }, expected: { userId: '42' } },
    { label: 'null userId (analytics.js)', payload: { anonymousId: 'a', userId: null }, expected: { anonymousId: 'a' } },
    { label: 'blank ids', payload: { anonymousId: '  ', userId: '' }, expected: null },
    { label: 'NaN and Infinity', payload: { anonymousId: Number.NaN, userId: Infinity }, expected: null },
    { label: 'object id', payload: { anonymousId: { id: 1 } }, expected: null },
    { label: 'no ids', payload: { event: 'x' }, expected: null },
    { label: 'an array', payload: [{ anonymousId: 'a' }], expected: null },
    { label: 'a string', payload: 'anonymousId', expected: null },
    { label: 'null', payload: null, expected: null },
  ])('$label', ({ payload, expected }) => {
    expect(messageDeviceIds(payload)).toEqual(expected);
  });

  it('chooses the arm from the same device key the session actors use', () => {
    const payload = { anonymousId: 'null', userId: 'user-9' };
    expect(messageInArm(SPLIT, 'web', payload)).toBe(inCanaryArm(SPLIT, 'web', deviceKey({ anonymousId: 'null', userId: 'user-9' })));
    expect(messageInArm({ ...SPLIT, percent: 99 }, 'web', { event: 'no ids' })).toBe(false);
  });
});

describe('rulesForDevice and decodeMessage with a canary', () => {
  const control: ProjectRules = { projectId: 'acme', channels: ['web'], skewToleranceSeconds: 30, namingConvention: 'any', rulesVersion: 3 };
  const canaryRules: ProjectRules = { ...control, namingConvention: 'snake_case', trackingPlan: { unplannedEvents: 'flag', unplannedProperties: 'flag', namingViolations: 'block', schemaViolations: 'flag' }, rulesVersion: 7 };
  const project: ProjectRules = { ...control, canary: { split: SPLIT, rules: canaryRules } };
  const devices = Array.from({ length: 200 }, (_, i) => `dev-${i}`);
  const canaryDevice = devices.find((d) => inCanaryArm(SPLIT, 'web', `a:${d}`))!;
  const controlDevice = devices.find((d) => !inCanaryArm(SPLIT, 'web', `a:${d}`))!;
  const decode = (payload: unknown) =>
    decodeMessage({ subject: 'braid.raw.acme.web', data: new TextEncoder().encode(JSON.stringify(payload)), receivedAtMs: Date.UTC(2026, 0, 1), source: { stream: 'S', sequence: 1, subject: 'braid.raw.acme.web' } }, () => project);

  it('picks the canary rules for devices in the arm only', () => {
    expect(rulesForDevice(project, 'web', { anonymousId: canaryDevice })).toBe(canaryRules);
    expect(rulesForDevice(project, 'web', { anonymousId: controlDevice })).toBe(project);
    expect(rulesForDevice(control, 'web', { anonymousId: canaryDevice })).toBe(control);
  });

  it.each([
    { label: 'canary device, Title Case name: blocked under version 7', device: () => canaryDevice, event: 'Order Completed', outcome: 'rejected', version: 7 },
    { label: 'canary device, snake_case name: accepted and stamped 7', device: () => canaryDevice, event: 'order_completed', outcome: 'accepted', version: 7 },
    { label: 'control device, Title Case name: accepted, not stamped', device: () => controlDevice, event: 'Order Completed', outcome: 'accepted', version: undefined },
  ])('$label', ({ device, event, outcome, version }) => {
    const decoded = decode({ type: 'track', messageId: 'm-1', anonymousId: device(), event, properties: {} });
    expect(decoded.kind).toBe(outcome);
    if (decoded.kind === 'rejected') {
      expect(decoded.rejection.reason).toBe('naming_violation');
      expect(decoded.rejection.rulesVersion).toBe(version);
    } else expect(decoded.event.rulesVersion).toBe(version);
  });

  it('records the arm on rejections decided before the envelope is read, and the control version without ids', () => {
    const noEvent = decode({ type: 'track', messageId: 'm-2', anonymousId: canaryDevice });
    expect(noEvent.kind === 'rejected' && [noEvent.rejection.reason, noEvent.rejection.rulesVersion]).toEqual(['missing_event', 7]);
    expect(noEvent.kind === 'rejected' && noEvent.rejection.deviceKey).toBe(`a:${canaryDevice}`);
    const noIds = decode({ type: 'track', messageId: 'm-3', event: 'x' });
    expect(noIds.kind === 'rejected' && [noIds.rejection.reason, noIds.rejection.rulesVersion, noIds.rejection.deviceKey]).toEqual(['missing_identity', 3, undefined]);
  });
});

describe('changedSettings', () => {
  const base = defaultProjectSettings();
  it.each([
    { label: 'nothing', after: base, expected: [] },
    { label: 'one scalar', after: { ...base, sessionTimeoutMinutes: 5 }, expected: ['sessionTimeoutMinutes'] },
    { label: 'nested, same values in another key order', after: { ...base, trackingPlan: { schemaViolations: 'flag', namingViolations: 'flag', unplannedProperties: 'flag', unplannedEvents: 'flag' } }, expected: [] },
    { label: 'nested value', after: { ...base, trackingPlan: { ...base.trackingPlan, unplannedEvents: 'block' } }, expected: ['trackingPlan'] },
    { label: 'array order matters', after: { ...base, channels: [...base.channels].reverse() }, expected: ['channels'] },
    { label: 'a setting added', after: { ...base, retentionDays: 30 }, expected: ['retentionDays'] },
  ] as { label: string; after: typeof base; expected: string[] }[])('$label', ({ after, expected }) => {
    expect(changedSettings(base, after)).toEqual(expected);
  });
});

describe('settingsPatchSchema and the canary bodies', () => {
  const patch = settingsPatchSchema(SETTINGS_KEYS);
  it.each([
    { label: 'one setting: no defaults filled in for the others', body: { sessionHosts: 3 }, data: { sessionHosts: 3 } },
    { label: 'channels deduplicated as at creation', body: { channels: ['web', 'web', 'kiosk'] }, data: { channels: ['web', 'kiosk'] } },
    { label: 'an empty patch', body: {}, data: {} },
  ])('$label', ({ body, data }) => {
    expect(patch.parse(body)).toEqual(data);
  });

  it.each([
    { label: 'no channels', body: { channels: [] }, path: 'channels' },
    { label: 'unknown setting', body: { colour: 'red' }, path: '' },
    { label: 'timeout of 0', body: { sessionTimeoutMinutes: 0 }, path: 'sessionTimeoutMinutes' },
  ])('refuses $label, naming the field', ({ body, path }) => {
    const result = patch.safeParse(body);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path.join('.'))).toContain(path);
  });

  it.each([
    { label: 'a rules change at 20 %', body: { changes: { namingConvention: 'snake_case' }, percent: 20 }, issue: null },
    { label: 'channels', body: { changes: { channels: ['web'] }, percent: 20 }, issue: 'changes.channels: channels cannot be tried on a share of devices; change it with PATCH /api/projects/:p' },
    { label: 'sessionHosts', body: { changes: { sessionHosts: 2 }, percent: 20 }, issue: 'changes.sessionHosts: sessionHosts cannot be tried on a share of devices; change it with PATCH /api/projects/:p' },
    { label: 'an unknown setting', body: { changes: { colour: 'red' }, percent: 20 }, issue: 'changes.colour: unknown setting; a canary changes consentMode, consentHoldSeconds, requiredConsent, sessionTimeoutMinutes, skewToleranceSeconds, namingConvention, piiPolicy, trackingPlan' },
    { label: 'no change', body: { changes: {}, percent: 20 }, issue: 'changes: a canary changes at least one setting' },
    { label: '0 %', body: { changes: { namingConvention: 'any' }, percent: 0 }, issue: 'percent: at least 1' },
    { label: '100 %', body: { changes: { namingConvention: 'any' }, percent: 100 }, issue: 'percent: at most 99; promote the canary to apply it to every device' },
    { label: '12.5 %', body: { changes: { namingConvention: 'any' }, percent: 12.5 }, issue: 'percent: a whole number' },
    { label: 'a bad value', body: { changes: { namingConvention: 'camel' }, percent: 5 }, issue: 'changes.namingConvention' },
    { label: 'no percent', body: { changes: { namingConvention: 'any' } }, issue: 'percent' },
  ])('start: $label', ({ body, issue }) => {
    const result = startCanarySchema.safeParse(body);
    if (issue === null) {
      expect(result.success).toBe(true);
      expect(result.data?.changes).toEqual(body.changes);
      return;
    }
    const issues = result.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];
    expect(issues.some((i) => i.startsWith(issue)), issues.join('\n')).toBe(true);
  });

  it('rollback: replay defaults to false and nothing else is taken', () => {
    expect(rollbackCanarySchema.parse({})).toEqual({ replay: false });
    expect(rollbackCanarySchema.safeParse({ replay: 'yes' }).success).toBe(false);
    expect(rollbackCanarySchema.safeParse({ replay: true, force: true }).success).toBe(false);
  });
});
