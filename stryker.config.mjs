// Mutation testing of the pure Raft core (machines/) and the node host's ready loop:
// `npm run test:mutation`. Incremental: a re-run only redoes mutants whose code or tests changed.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  mutate: [
    'machines/**/*.ts',
    // Barrel and type-only files: nothing to mutate.
    '!machines/index.ts',
    '!machines/events.ts',
    'src/node/node-host.ts',
  ],
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts' },
  coverageAnalysis: 'perTest',
  // Static mutants (the chart's config object, constants: code run once, at import) would each
  // run every test; there are about 280 and they took over half the run time. Ignored.
  ignoreStatic: true,
  incremental: true,
  incrementalFile: 'reports/stryker-incremental.json',
  // event-recorder: one file per tested mutant, so survivors can be read while a run is under way.
  reporters: ['clear-text', 'progress', 'html', 'json', 'event-recorder'],
  eventReporter: { baseDir: 'reports/mutation/events' },
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  // Two cores shared with other work.
  concurrency: 1,
  // A mutant's tests may take twice their unmutated time plus 10 s (for a busy machine) before
  // it counts as a timeout; a mutant that loops forever costs that long, and there are dozens.
  timeoutMS: 10_000,
  timeoutFactor: 2,
  cleanTempDir: true,
};
