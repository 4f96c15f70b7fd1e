import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // End-to-end tests start registries and child processes; two cores are all CI has.
    maxWorkers: 2,
    unstubEnvs: true,
    reporters: ['default', './test/summary-reporter.ts'],
  },
});
