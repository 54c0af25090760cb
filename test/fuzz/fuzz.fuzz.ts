/**
 * `npm run fuzz`: 200 seeds by default, each a random fault schedule and a Figure 8 scenario
 * on a simulated cluster; `FUZZ_SEEDS=10000 npm run fuzz` for a long run, `FUZZ_SEED=<n>` to
 * replay one (test/fuzz/fuzz-options.ts lists every option).
 */
import { expect, it } from 'vitest';
import { failureDigest, fuzz } from './fuzz-driver.js';
import { fuzzOptions } from './fuzz-options.js';

it('the fuzzer finds no failing schedule', async () => {
  const options = fuzzOptions();
  const summary = await fuzz(options);
  expect(summary.failed, failureDigest(summary)).toBe(0);
});
