/**
 * Which seeds a seeded test runs: RAFT_SEED=<n> replays exactly seed n; otherwise
 * RAFT_SEEDS=<n> runs seeds 1..n, and without either a test's own default count.
 */
export function testSeeds(defaultCount: number, env: NodeJS.ProcessEnv = process.env): number[] {
  if (env.RAFT_SEED !== undefined) return [parseSeedVariable('RAFT_SEED', env.RAFT_SEED, 0)];
  const count =
    env.RAFT_SEEDS === undefined ? defaultCount : parseSeedVariable('RAFT_SEEDS', env.RAFT_SEEDS, 1);
  return Array.from({ length: count }, (_, i) => i + 1);
}

function parseSeedVariable(name: string, value: string, min: number): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min) {
    throw new Error(`${name} must be an integer of at least ${min}, got "${value}"`);
  }
  return n;
}

/** Runs a seeded test body; a failure ends with the command that replays that seed. */
export async function replayable(seed: number, command: string, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    if (error instanceof Error) error.message += `\n  replay: RAFT_SEED=${seed} ${command}`;
    throw error;
  }
}
