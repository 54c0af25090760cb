import { defineConfig } from 'vitest/config';

// The tests Stryker runs against each mutant of machines/ and src/node/node-host.ts: their unit
// tests, all in-process. Each mutant runs every test that covers it, so the simulator's tests
// (which cover nearly every line, at seconds per mutant) are left out: the rules are to be
// pinned by unit tests. No globalSetup (building with tsc per run is far too slow), so anything
// that runs the built package is left out too: it would run the unmutated build anyway.
export default defineConfig({
  test: {
    include: ['test/machines/**/*.test.ts', 'test/node/**/*.test.ts'],
    // docs/step.md's example runs against dist/.
    testNamePattern: /^(?!.*run against the built package)/,
    testTimeout: 120_000,
  },
});
