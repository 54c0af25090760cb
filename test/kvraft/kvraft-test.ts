/**
 * Registers kvraft tests: one vitest case per seed (default 2; RAFT_SEEDS and RAFT_SEED as
 * in test/support/seeds.ts), each failure naming its replay command, and after each file
 * one line with the longest history it checked and the checker's time on it.
 */
import { afterAll, describe, it } from 'vitest';
import { replayable, testSeeds } from '../support/seeds.js';
import { longestHistoryLine } from './linearizability.js';

const DEFAULT_SEEDS = 2;

/**
 * Wall-clock limit per run, only against a hang: the course's 120 s limit is on virtual
 * time (KvConfig). The busiest run (20 clients) takes 15-25 s of CPU, and took 130 s of
 * wall-clock time once on a loaded 2-core machine: over vitest's default here.
 */
const WALL_TIMEOUT_MS = 600_000;

export function kvraftTest(name: string, file: string, body: (seed: number) => Promise<void>): void {
  describe(name, () => {
    it.each(testSeeds(DEFAULT_SEEDS))(
      'seed=%i',
      async (seed) => {
        const cpu = process.cpuUsage();
        await replayable(seed, `npx vitest run test/kvraft/${file}.test.ts -t '^${name} '`, () => body(seed));
        if (process.env.RAFT_VERBOSE) {
          const { user, system } = process.cpuUsage(cpu);
          console.log(`${name} seed=${seed}: ${((user + system) / 1e6).toFixed(1)} s of CPU`);
        }
      },
      WALL_TIMEOUT_MS,
    );
  });
}

afterAll(() => {
  const line = longestHistoryLine();
  if (line !== undefined) console.log(line);
});
