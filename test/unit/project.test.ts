import { describe, expect, it } from 'vitest';
import { createProjectSchema, defaultProjectSettings, piiPolicySchema, projectSettingsSchema } from '../../contracts/project';

const DEFAULTS = {
  consentMode: 'opt-out',
  consentHoldSeconds: 600,
  requiredConsent: { default: 'analytics', events: {} },
  sessionTimeoutMinutes: 30,
  sessionHosts: 4,
  skewToleranceSeconds: 30,
  channels: ['web', 'mobile', 'backend'],
  namingConvention: 'object_action_title',
  piiPolicy: { truncateIp: true, drop: [], pseudonymize: ['traits.email', 'traits.phone'] },
  trackingPlan: { unplannedEvents: 'flag', unplannedProperties: 'flag', namingViolations: 'flag', schemaViolations: 'flag' },
};

/** The paths zod complains about, for a failed parse. */
function problemPaths(input: unknown): string[] {
  const result = createProjectSchema.safeParse(input);
  if (result.success) return [];
  return result.error.issues.map((i) => (i.code === 'unrecognized_keys' ? `${i.path.join('.')}[${i.keys.join(',')}]` : i.path.join('.')));
}

describe('createProjectSchema', () => {
  describe('defaults (contract §4)', () => {
    it('fills every setting from the contract’s defaults', () => {
      expect(createProjectSchema.parse({ projectId: 'acme', name: 'Acme' })).toEqual({ projectId: 'acme', name: 'Acme', ...DEFAULTS });
    });

    it.each([
      { label: 'partial requiredConsent', input: { requiredConsent: { events: { 'Order Completed': 'Billing' } } }, expected: { requiredConsent: { default: 'analytics', events: { 'Order Completed': 'billing' } } } },
      { label: 'empty requiredConsent', input: { requiredConsent: {} }, expected: { requiredConsent: { default: 'analytics', events: {} } } },
      { label: 'category trimmed and lower-cased', input: { requiredConsent: { default: '  Marketing ' } }, expected: { requiredConsent: { default: 'marketing', events: {} } } },
      { label: 'partial trackingPlan', input: { trackingPlan: { unplannedEvents: 'block' } }, expected: { trackingPlan: { ...DEFAULTS.trackingPlan, unplannedEvents: 'block' } } },
      { label: 'partial piiPolicy', input: { piiPolicy: { truncateIp: false } }, expected: { piiPolicy: { ...DEFAULTS.piiPolicy, truncateIp: false } } },
      { label: 'opt-in', input: { consentMode: 'opt-in' }, expected: { consentMode: 'opt-in' } },
      { label: 'snake_case naming', input: { namingConvention: 'snake_case' }, expected: { namingConvention: 'snake_case' } },
      { label: 'zero skew tolerance', input: { skewToleranceSeconds: 0 }, expected: { skewToleranceSeconds: 0 } },
      { label: 'zero consent hold', input: { consentHoldSeconds: 0 }, expected: { consentHoldSeconds: 0 } },
      { label: 'a one-day session timeout', input: { sessionTimeoutMinutes: 1440 }, expected: { sessionTimeoutMinutes: 1440 } },
      { label: 'one session host', input: { sessionHosts: 1 }, expected: { sessionHosts: 1 } },
      { label: '256 session hosts', input: { sessionHosts: 256 }, expected: { sessionHosts: 256 } },
      { label: 'name trimmed', input: { name: '  Acme Inc.  ' }, expected: { name: 'Acme Inc.' } },
    ])('$label', ({ input, expected }) => {
      expect(createProjectSchema.parse({ projectId: 'acme', name: 'Acme', ...input })).toMatchObject(expected);
    });
  });

  describe('projectId', () => {
    it.each([{ projectId: 'acme' }, { projectId: '0' }, { projectId: '9lives' }, { projectId: 'my_project-2' }, { projectId: 'a'.repeat(63) }, { projectId: 'a-' }])('accepts "$projectId"', ({ projectId }) => {
      expect(createProjectSchema.parse({ projectId, name: 'x' }).projectId).toBe(projectId);
    });

    it.each([
      { label: 'empty', projectId: '' },
      { label: 'upper case', projectId: 'Acme' },
      { label: 'leading hyphen', projectId: '-acme' },
      { label: 'leading underscore', projectId: '_acme' },
      { label: '64 characters', projectId: 'a'.repeat(64) },
      { label: 'space', projectId: 'ac me' },
      { label: 'dot (would break the NATS subject)', projectId: 'ac.me' },
      { label: 'NATS wildcard *', projectId: '*' },
      { label: 'NATS wildcard >', projectId: '>' },
      { label: 'trailing newline', projectId: 'acme\n' },
      { label: 'accented', projectId: 'acmé' },
      { label: 'number', projectId: 42 },
      { label: 'null', projectId: null },
    ])('refuses $label', ({ projectId }) => {
      expect(problemPaths({ projectId, name: 'x' })).toEqual(['projectId']);
    });

    it('is required', () => {
      expect(problemPaths({ name: 'x' })).toEqual(['projectId']);
    });
  });

  describe('name', () => {
    it.each([
      { label: 'missing', input: {} },
      { label: 'empty', input: { name: '' } },
      { label: 'blank', input: { name: '   ' } },
      { label: '201 characters', input: { name: 'n'.repeat(201) } },
      { label: 'number', input: { name: 7 } },
    ])('refuses $label', ({ input }) => {
      expect(problemPaths({ projectId: 'acme', ...input })).toEqual(['name']);
    });
  });

  describe('unknown keys are refused', () => {
    it.each([
      { label: 'top level', input: { bogus: 1 }, expected: ['[bogus]'] },
      { label: 'misspelt setting', input: { consentmode: 'opt-in' }, expected: ['[consentmode]'] },
      { label: 'two unknown keys', input: { a: 1, b: 2 }, expected: ['[a,b]'] },
      { label: 'in requiredConsent', input: { requiredConsent: { default: 'analytics', extra: true } }, expected: ['requiredConsent[extra]'] },
      { label: 'in piiPolicy', input: { piiPolicy: { hashEmails: true } }, expected: ['piiPolicy[hashEmails]'] },
      { label: 'in trackingPlan', input: { trackingPlan: { unplannedTraits: 'block' } }, expected: ['trackingPlan[unplannedTraits]'] },
    ])('$label', ({ input, expected }) => {
      expect(problemPaths({ projectId: 'acme', name: 'Acme', ...input })).toEqual(expected);
    });
  });

  describe('channels', () => {
    it.each([
      { label: 'custom list', channels: ['web', 'kiosk'], expected: ['web', 'kiosk'] },
      { label: 'duplicates removed, order kept', channels: ['web', 'mobile', 'web', 'backend', 'mobile'], expected: ['web', 'mobile', 'backend'] },
      { label: 'all the same', channels: ['pos', 'pos', 'pos'], expected: ['pos'] },
      { label: 'one letter', channels: ['a'], expected: ['a'] },
      { label: '32 characters', channels: ['c'.repeat(32)], expected: ['c'.repeat(32)] },
      { label: 'digits, _ and -', channels: ['pos_2-b'], expected: ['pos_2-b'] },
    ])('$label', ({ channels, expected }) => {
      expect(createProjectSchema.parse({ projectId: 'acme', name: 'Acme', channels }).channels).toEqual(expected);
    });

    it.each([
      { label: 'upper case', channels: ['Web'], path: 'channels.0' },
      { label: 'leading digit', channels: ['web', '2nd'], path: 'channels.1' },
      { label: 'leading hyphen', channels: ['-web'], path: 'channels.0' },
      { label: '33 characters', channels: ['c'.repeat(33)], path: 'channels.0' },
      { label: 'dot', channels: ['web.app'], path: 'channels.0' },
      { label: 'empty name', channels: [''], path: 'channels.0' },
      { label: 'NATS wildcard', channels: ['*'], path: 'channels.0' },
      { label: 'empty list', channels: [], path: 'channels' },
      { label: 'not a list', channels: 'web', path: 'channels' },
      { label: '65 channels', channels: Array.from({ length: 65 }, (_, i) => `c${i}`), path: 'channels' },
    ])('refuses $label', ({ channels, path }) => {
      expect(problemPaths({ projectId: 'acme', name: 'Acme', channels })).toEqual([path]);
    });
  });

  describe('numeric and enum settings', () => {
    it.each([
      { label: 'consentMode', input: { consentMode: 'opt_in' }, path: 'consentMode' },
      { label: 'namingConvention', input: { namingConvention: 'camelCase' }, path: 'namingConvention' },
      { label: 'negative consent hold', input: { consentHoldSeconds: -1 }, path: 'consentHoldSeconds' },
      { label: 'consent hold over a day', input: { consentHoldSeconds: 86_401 }, path: 'consentHoldSeconds' },
      { label: 'fractional consent hold', input: { consentHoldSeconds: 1.5 }, path: 'consentHoldSeconds' },
      { label: 'consent hold as text', input: { consentHoldSeconds: '600' }, path: 'consentHoldSeconds' },
      { label: 'zero session timeout', input: { sessionTimeoutMinutes: 0 }, path: 'sessionTimeoutMinutes' },
      { label: 'session timeout over a day', input: { sessionTimeoutMinutes: 1441 }, path: 'sessionTimeoutMinutes' },
      { label: 'zero session hosts', input: { sessionHosts: 0 }, path: 'sessionHosts' },
      { label: 'more than 256 session hosts', input: { sessionHosts: 257 }, path: 'sessionHosts' },
      { label: 'fractional session hosts', input: { sessionHosts: 2.5 }, path: 'sessionHosts' },
      { label: 'session hosts as text', input: { sessionHosts: '4' }, path: 'sessionHosts' },
      { label: 'negative skew tolerance', input: { skewToleranceSeconds: -30 }, path: 'skewToleranceSeconds' },
      { label: 'skew tolerance over a day', input: { skewToleranceSeconds: 86_401 }, path: 'skewToleranceSeconds' },
      { label: 'policy value', input: { trackingPlan: { namingViolations: 'warn' } }, path: 'trackingPlan.namingViolations' },
      { label: 'consent category with a space', input: { requiredConsent: { default: 'ad tech' } }, path: 'requiredConsent.default' },
      { label: 'consent category starting with a digit', input: { requiredConsent: { default: '1st' } }, path: 'requiredConsent.default' },
      { label: 'empty pseudonymize path', input: { piiPolicy: { pseudonymize: [''] } }, path: 'piiPolicy.pseudonymize.0' },
    ])('refuses $label', ({ input, path }) => {
      expect(problemPaths({ projectId: 'acme', name: 'Acme', ...input })).toEqual([path]);
    });
  });
});

describe('projectSettingsSchema', () => {
  it('does not take projectId or name (PATCH settings only)', () => {
    const result = projectSettingsSchema.safeParse({ projectId: 'acme' });
    expect(result.success).toBe(false);
  });

  it('parses an empty object to the defaults', () => {
    expect(projectSettingsSchema.parse({})).toEqual(DEFAULTS);
  });
});

describe('defaultProjectSettings', () => {
  it.each([
    { label: 'no overrides', overrides: undefined, expected: DEFAULTS },
    { label: 'override timeout', overrides: { sessionTimeoutMinutes: 45 }, expected: { ...DEFAULTS, sessionTimeoutMinutes: 45 } },
    { label: 'duplicate channels', overrides: { channels: ['web', 'web'] }, expected: { ...DEFAULTS, channels: ['web'] } },
  ])('$label', ({ overrides, expected }) => {
    expect(defaultProjectSettings(overrides)).toEqual(expected);
  });

  it('throws on an invalid override', () => {
    expect(() => defaultProjectSettings({ skewToleranceSeconds: -1 })).toThrow(/skewToleranceSeconds/);
  });

  it('returns a fresh channels array each time', () => {
    const a = defaultProjectSettings();
    a.channels.push('mutated');
    expect(defaultProjectSettings().channels).toEqual(['web', 'mobile', 'backend']);
  });
});

describe('piiPolicySchema', () => {
  it.each([
    { input: {}, expected: { truncateIp: true, drop: [], pseudonymize: ['traits.email', 'traits.phone'] } },
    { input: { drop: ['context.ip'], pseudonymize: [] }, expected: { truncateIp: true, drop: ['context.ip'], pseudonymize: [] } },
  ])('$input', ({ input, expected }) => {
    expect(piiPolicySchema.parse(input)).toEqual(expected);
  });
});
