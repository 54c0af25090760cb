import { defineConfig } from 'vitest/config';

/** `npm run test:course`: the course suite alone, ending with its `N passed, M failed` line. */
export default defineConfig({
  test: {
    include: ['test/course/**/*.test.ts'],
    testTimeout: 120_000,
    reporters: ['default', './test/course/summary-reporter.ts'],
  },
});
