import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/build.ts'],
    // Simulated runs are CPU-bound and deterministic; course tests may cover minutes of
    // virtual time, so the per-test wall-clock limit is generous.
    testTimeout: 120_000,
  },
});
