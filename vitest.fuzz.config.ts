import { defineConfig } from 'vitest/config';

/**
 * `npm run fuzz`: the randomized simulation fuzzer alone (test/fuzz/*.fuzz.ts), its seeds and
 * budget from FUZZ_* variables (test/fuzz/fuzz-options.ts). Its own wall-clock limit
 * (FUZZ_WALL_SECONDS) ends a long run with a summary, so vitest's per-test limit is off.
 */
export default defineConfig({
  test: {
    include: ['test/fuzz/**/*.fuzz.ts'],
    testTimeout: 0,
  },
});
