import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // Integration tests share one Temporal dev server and one Postgres; two files at a time fit two cores.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
