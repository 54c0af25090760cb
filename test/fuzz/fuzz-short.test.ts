/**
 * The fuzzer's short budget inside `npm test`: a few seeds of random fault schedules and of
 * the Figure 8 scenario (`npm run fuzz` runs 200 and more; both replay a seed the same way).
 */
import { expect, it } from 'vitest';
import { failureDigest, fuzz } from './fuzz-driver.js';
import { fuzzOptions } from './fuzz-options.js';

/** About 10 s of wall time on a quiet machine. */
const SHORT = { seeds: 16, seconds: 8 };

it(`${SHORT.seeds} fuzz seeds find no failing schedule, and the Figure 8 scenario reaches its overwrite`, async () => {
  const options = fuzzOptions(SHORT, { ...process.env, FUZZ_SEEDS: undefined, FUZZ_START: undefined });
  const summary = await fuzz(options);
  expect(summary.failed, failureDigest(summary)).toBe(0);
  // The scenario walks the cluster to the moment Figure 8 is about; most seeds must get there.
  expect(summary.figure8Overwrites).toBeGreaterThanOrEqual(Math.ceil(summary.figure8Runs * 0.75));
});
