/**
 * Every course test runs once per seed: RAFT_SEEDS=<n> runs seeds 1..n (default 10), and
 * RAFT_SEED=<n> replays exactly seed n.
 */
import { describe, it } from 'vitest';

const DEFAULT_SEEDS = 10;

export function courseSeeds(env: NodeJS.ProcessEnv = process.env): number[] {
  if (env.RAFT_SEED !== undefined) return [parseSeedVariable('RAFT_SEED', env.RAFT_SEED, 0)];
  const count = env.RAFT_SEEDS === undefined ? DEFAULT_SEEDS : parseSeedVariable('RAFT_SEEDS', env.RAFT_SEEDS, 1);
  return Array.from({ length: count }, (_, i) => i + 1);
}

function parseSeedVariable(name: string, value: string, min: number): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min) {
    throw new Error(`${name} must be an integer of at least ${min}, got "${value}"`);
  }
  return n;
}

/**
 * Registers a course test, one vitest case per seed. A failure names the seed and the
 * command that replays it.
 */
export function courseTest(name: string, file: string, body: (seed: number) => Promise<void>): void {
  describe(name, () => {
    it.each(courseSeeds())('seed=%i', async (seed) => {
      try {
        await body(seed);
      } catch (error) {
        if (error instanceof Error) {
          error.message += `\n  replay: RAFT_SEED=${seed} npm run test:course -- ${file}`;
        }
        throw error;
      }
    });
  });
}
