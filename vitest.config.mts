import { defineConfig } from 'vitest/config';

/** The session, consent and identity tests also run with one workflow per device (BRAID_SESSION_HOSTING=per-device). */
const PER_DEVICE = ['test/integration/sessions.test.ts', 'test/integration/consent.test.ts', 'test/integration/identity.test.ts'];

export default defineConfig({
  test: {
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // Integration tests share one Temporal dev server and one Postgres; two files at a time fit two cores.
    maxWorkers: 2,
    reporters: ['default'],
    projects: [
      { extends: true, test: { name: 'hosted', include: ['test/**/*.test.ts'] } },
      { extends: true, test: { name: 'per-device', include: PER_DEVICE, env: { BRAID_SESSION_HOSTING: 'per-device' } } },
    ],
  },
});
