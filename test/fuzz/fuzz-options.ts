/**
 * The fuzzer's options, from the environment:
 * - FUZZ_SEED=<n>: replay seed n alone;
 * - FUZZ_SEEDS=<n>: run n seeds, from FUZZ_START (default 1);
 * - FUZZ_SECONDS=<s>: virtual seconds of faults per run;
 * - FUZZ_WALL_SECONDS=<s>: stop starting seeds after this much wall time, with the summary;
 * - FUZZ_ONLY=random|figure8: one generator only (default both);
 * - FUZZ_SHRINK=<n>: shrink the first n failing random schedules (default 1; 0 for none);
 * - FUZZ_SCHEDULE=<file>: replay a schedule saved as JSON (a shrunk one) instead of seeds.
 */

export type Generator = 'random' | 'figure8';

export interface FuzzOptions {
  readonly seeds: readonly number[];
  readonly seconds: number;
  readonly wallSeconds: number;
  readonly generators: readonly Generator[];
  /** How many failing random schedules to shrink (the first ones). */
  readonly shrink: number;
  readonly schedulePath: string | undefined;
}

/** `npm run fuzz`'s own defaults; a replay command names only what differs from them. */
export const FUZZ_DEFAULTS = { seeds: 200, seconds: 40 } as const;

export function fuzzOptions(
  defaults: { readonly seeds: number; readonly seconds: number } = FUZZ_DEFAULTS,
  env: NodeJS.ProcessEnv = process.env,
): FuzzOptions {
  const seconds = number(env, 'FUZZ_SECONDS', defaults.seconds, 0.001);
  let seeds: number[];
  if (env.FUZZ_SEED !== undefined) seeds = [number(env, 'FUZZ_SEED', 1, 0, true)];
  else {
    const start = number(env, 'FUZZ_START', 1, 0, true);
    const count = number(env, 'FUZZ_SEEDS', defaults.seeds, 1, true);
    seeds = Array.from({ length: count }, (_, i) => start + i);
  }
  const only = env.FUZZ_ONLY;
  if (only !== undefined && only !== 'random' && only !== 'figure8') {
    throw new Error(`FUZZ_ONLY must be random or figure8, got "${only}"`);
  }
  return {
    seeds,
    seconds,
    wallSeconds: number(env, 'FUZZ_WALL_SECONDS', Infinity, 0.001),
    generators: only === undefined ? ['random', 'figure8'] : [only],
    shrink: number(env, 'FUZZ_SHRINK', 1, 0, true),
    schedulePath: env.FUZZ_SCHEDULE,
  };
}

/** The command that replays `seed` of `generator` with these options. */
export function replayCommand(seed: number, generator: Generator, options: FuzzOptions): string {
  const seconds =
    generator === 'random' && options.seconds !== FUZZ_DEFAULTS.seconds
      ? ` FUZZ_SECONDS=${options.seconds}`
      : '';
  return `FUZZ_SEED=${seed}${seconds} FUZZ_ONLY=${generator} npm run fuzz`;
}

function number(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  min: number,
  integer = false,
): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!(value >= min) || (integer && !Number.isSafeInteger(value))) {
    throw new Error(
      `${name} must be ${integer ? 'an integer' : 'a number'} of at least ${min}, got "${text}"`,
    );
  }
  return value;
}
