import { defineConfig } from 'vitest/config';

/**
 * Measurements on the simulator (test/sim/*.measure.ts), run on demand and not by `npm
 * test`: `npx vitest run -c test/sim/vitest.measure.config.ts`. They print tables.
 */
export default defineConfig({
  test: {
    include: ['test/sim/**/*.measure.ts'],
    testTimeout: 0,
  },
});
