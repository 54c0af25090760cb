import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Tests that run on the simulated clock only: CPU-bound and deterministic, so they run two
 * files at a time (one per core of a CI machine). Everything else (processes, sockets, the
 * browser, the packed tarball) runs after them, one file at a time, so no wall-clock test
 * shares the machine with another test file.
 */
const SIMULATED = ['course', 'fuzz', 'kvraft', 'machines', 'paths', 'regression', 'sim'].map(
  (dir) => `test/${dir}/**/*.test.ts`,
);

export default defineConfig({
  test: {
    // Simulated runs may cover minutes of virtual time: the per-test wall-clock limit is generous.
    testTimeout: 120_000,
    // Both projects inherit it (extends: true); it builds once (test/support/build.ts).
    globalSetup: ['test/support/build.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'simulated',
          include: SIMULATED,
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'real',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...SIMULATED],
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
