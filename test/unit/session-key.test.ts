import { describe, expect, it } from 'vitest';
import { deviceKey, hostedProjectOf, hostIndex, hostWorkflowId, sessionWorkflowId, type DeviceIds } from '../../rules/session-key';

describe('deviceKey', () => {
  it.each([
    { label: 'real anonymousId only', ids: { anonymousId: 'anon-1' }, expected: 'a:anon-1' },
    { label: 'real userId only', ids: { userId: 'user-1' }, expected: 'u:user-1' },
    { label: 'both real: anonymousId preferred', ids: { anonymousId: 'anon-1', userId: 'user-1' }, expected: 'a:anon-1' },
    { label: 'uuid anonymousId', ids: { anonymousId: '3f2b8c1e-9d4a-4e7b-8c2f-1a2b3c4d5e6f', userId: 'u' }, expected: 'a:3f2b8c1e-9d4a-4e7b-8c2f-1a2b3c4d5e6f' },
    { label: 'placeholder anonymousId "null" with a real userId', ids: { anonymousId: 'null', userId: 'user-1' }, expected: 'u:user-1' },
    { label: 'placeholder anonymousId "anonymous" with a real userId', ids: { anonymousId: 'anonymous', userId: 'user-1' }, expected: 'u:user-1' },
    { label: 'quoted placeholder anonymousId with a real userId', ids: { anonymousId: '"undefined"', userId: 'user-1' }, expected: 'u:user-1' },
    { label: 'nil uuid anonymousId with a real userId', ids: { anonymousId: '00000000-0000-0000-0000-000000000000', userId: 'user-1' }, expected: 'u:user-1' },
    { label: 'blank anonymousId with a real userId', ids: { anonymousId: '   ', userId: 'user-1' }, expected: 'u:user-1' },
    { label: 'empty anonymousId with a real userId', ids: { anonymousId: '', userId: 'user-1' }, expected: 'u:user-1' },
    { label: 'real anonymousId with a placeholder userId', ids: { anonymousId: 'anon-1', userId: 'guest' }, expected: 'a:anon-1' },
    { label: 'both placeholders: the anonymousId as sent', ids: { anonymousId: 'guest', userId: 'null' }, expected: 'a:guest' },
    { label: 'placeholder anonymousId only', ids: { anonymousId: '[object Object]' }, expected: 'a:[object Object]' },
    { label: 'placeholder userId only', ids: { userId: '0' }, expected: 'u:0' },
    { label: 'blank anonymousId, placeholder userId', ids: { anonymousId: ' ', userId: 'undefined' }, expected: 'u:undefined' },
    { label: 'empty anonymousId, no userId', ids: { anonymousId: '' }, expected: 'u:' },
    { label: 'no ids at all', ids: {}, expected: 'u:' },
  ] as { label: string; ids: DeviceIds; expected: string }[])('$label → $expected', ({ ids, expected }) => {
    expect(deviceKey(ids)).toBe(expected);
  });

  it('placeholder-only devices do not share a key with real devices', () => {
    const placeholder = deviceKey({ anonymousId: 'null', userId: 'guest' });
    const real = [deviceKey({ anonymousId: 'anon-1' }), deviceKey({ userId: 'user-1' }), deviceKey({ anonymousId: 'null', userId: 'user-1' })];
    expect(real).not.toContain(placeholder);
  });

  it('ignores fields other than the two ids', () => {
    const withExtras = { anonymousId: 'anon-1', userId: 'user-1', previousId: 'old', groupId: 'g' } as DeviceIds;
    expect(deviceKey(withExtras)).toBe('a:anon-1');
  });
});

describe('sessionWorkflowId', () => {
  it.each([
    { projectId: 'acme', channel: 'web', key: 'a:anon-1', expected: 'session:acme:web:anon-1' },
    { projectId: 'acme', channel: 'mobile', key: 'u:user-1', expected: 'session:acme:mobile:user-1' },
    { projectId: 'p-1', channel: 'backend', key: 'u:', expected: 'session:p-1:backend:' },
    { projectId: 'acme', channel: 'web', key: 'a:a:b:c', expected: 'session:acme:web:a:b:c' },
    { projectId: 'acme', channel: 'web', key: 'a:ada@example.com', expected: 'session:acme:web:ada@example.com' },
  ])('$projectId / $channel / $key → $expected', ({ projectId, channel, key, expected }) => {
    expect(sessionWorkflowId(projectId, channel, key)).toBe(expected);
  });

  it.each([
    { ids: { anonymousId: 'anon-1', userId: 'user-1' }, expected: 'session:acme:web:anon-1' },
    { ids: { anonymousId: 'null', userId: 'user-1' }, expected: 'session:acme:web:user-1' },
    { ids: { anonymousId: 'guest', userId: 'null' }, expected: 'session:acme:web:guest' },
  ] as { ids: DeviceIds; expected: string }[])('composes with deviceKey: $ids → $expected', ({ ids, expected }) => {
    expect(sessionWorkflowId('acme', 'web', deviceKey(ids))).toBe(expected);
  });

  it('keeps projects and channels apart', () => {
    const key = deviceKey({ anonymousId: 'anon-1' });
    const ids = new Set([sessionWorkflowId('acme', 'web', key), sessionWorkflowId('acme', 'mobile', key), sessionWorkflowId('other', 'web', key)]);
    expect(ids.size).toBe(3);
  });
});

/** hostIndex values computed once: a change here re-homes every device of every project. */
const PINNED = [862, 28, 315];

describe('hostWorkflowId', () => {
  it.each([
    { route: { projectId: 'acme', channel: 'web', deviceKey: 'a:anon-1', hosts: 4, hosting: 'per-device' as const }, expected: 'device:acme:web:anon-1' },
    { route: { projectId: 'acme', channel: 'backend', deviceKey: 'u:job:7', hosts: 4, hosting: 'per-device' as const }, expected: 'device:acme:backend:job:7' },
    { route: { projectId: 'acme', channel: 'web', deviceKey: 'a:anon-1', hosts: 1, hosting: 'hosted' as const }, expected: 'sessions:acme:0' },
    { route: { projectId: 'p-1', channel: 'web', deviceKey: 'u:', hosts: 1, hosting: 'hosted' as const }, expected: 'sessions:p-1:0' },
  ])('$expected', ({ route, expected }) => {
    expect(hostWorkflowId(route)).toBe(expected);
  });

  it('is stable: the same device always lands on the same host (pinned values guard the hash across releases)', () => {
    expect(hostIndex('web', 'a:anon-1', 4)).toBe(hostIndex('web', 'a:anon-1', 4));
    expect([hostIndex('web', 'a:anon-1', 1000), hostIndex('mobile', 'a:anon-1', 1000), hostIndex('web', 'u:user-1', 1000)]).toEqual(PINNED);
  });

  it.each([
    { hosts: 0, label: 'zero hosts' },
    { hosts: -3, label: 'negative hosts' },
    { hosts: 2.5, label: 'a fraction' },
    { hosts: Number.NaN, label: 'NaN' },
  ])('treats $label as one host', ({ hosts }) => {
    expect(hostIndex('web', 'a:x', hosts)).toBe(0);
  });

  it('spreads devices evenly over the hosts', () => {
    for (const hosts of [2, 4, 7, 16]) {
      const counts = new Array<number>(hosts).fill(0);
      for (let i = 0; i < 20_000; i++) counts[hostIndex('web', `a:device-${i}`, hosts)]! += 1;
      const mean = 20_000 / hosts;
      for (const c of counts) expect(Math.abs(c - mean) / mean).toBeLessThan(0.1);
    }
  });

  it.each([
    { id: 'sessions:acme:3', expected: 'acme' },
    { id: 'device:p-1:web:anon:with:colons', expected: 'p-1' },
    { id: 'session:acme:web:anon', expected: null },
    { id: 'replay:acme:r1', expected: null },
    { id: '', expected: null },
  ])('hostedProjectOf($id) = $expected', ({ id, expected }) => {
    expect(hostedProjectOf(id)).toBe(expected);
  });
});
