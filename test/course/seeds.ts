/** Every course test runs once per seed (default 10; RAFT_SEEDS and RAFT_SEED as in test/support/seeds.ts). */
import { describe, it } from 'vitest';
import { replayable, testSeeds } from '../support/seeds.js';

const DEFAULT_SEEDS = 10;

/** Registers a course test, one vitest case per seed, each failure naming its replay command. */
export function courseTest(name: string, file: string, body: (seed: number) => Promise<void>): void {
  describe(name, () => {
    it.each(testSeeds(DEFAULT_SEEDS))('seed=%i', (seed) =>
      replayable(seed, `npm run test:course -- ${file}`, () => body(seed)),
    );
  });
}
