/** The fuzzer's environment options and the replay command it prints. */
import { describe, expect, it } from 'vitest';
import { FUZZ_DEFAULTS, fuzzOptions, replayCommand } from './fuzz-options.js';

describe('fuzzOptions', () => {
  it('defaults to npm run fuzz: seeds 1..200, both generators, the first failure shrunk', () => {
    const options = fuzzOptions(FUZZ_DEFAULTS, {});
    expect(options.seeds).toHaveLength(FUZZ_DEFAULTS.seeds);
    expect(options.seeds[0]).toBe(1);
    expect(options).toMatchObject({
      seconds: FUZZ_DEFAULTS.seconds,
      wallSeconds: Infinity,
      generators: ['random', 'figure8'],
      shrink: 1,
      schedulePath: undefined,
    });
  });

  it('reads FUZZ_SEED, or FUZZ_SEEDS from FUZZ_START, and the other options', () => {
    expect(fuzzOptions(FUZZ_DEFAULTS, { FUZZ_SEED: '123', FUZZ_SEEDS: '5' }).seeds).toEqual([123]);
    expect(fuzzOptions(FUZZ_DEFAULTS, { FUZZ_SEEDS: '3', FUZZ_START: '10' }).seeds).toEqual([10, 11, 12]);
    const options = fuzzOptions(FUZZ_DEFAULTS, {
      FUZZ_SECONDS: '2.5',
      FUZZ_WALL_SECONDS: '60',
      FUZZ_ONLY: 'figure8',
      FUZZ_SHRINK: '0',
      FUZZ_SCHEDULE: '/tmp/s.json',
    });
    expect(options).toMatchObject({
      seconds: 2.5,
      wallSeconds: 60,
      generators: ['figure8'],
      shrink: 0,
      schedulePath: '/tmp/s.json',
    });
  });

  it('refuses values that are not numbers in range, or an unknown generator', () => {
    for (const env of [
      { FUZZ_SEEDS: '0' },
      { FUZZ_SEEDS: 'many' },
      { FUZZ_SEED: '1.5' },
      { FUZZ_SECONDS: '-1' },
      { FUZZ_ONLY: 'both' },
    ]) {
      expect(() => fuzzOptions(FUZZ_DEFAULTS, env)).toThrow(/FUZZ_/);
    }
  });
});

describe('replayCommand', () => {
  it('names the seed and the generator, and the virtual seconds when they are not the default', () => {
    const defaults = fuzzOptions(FUZZ_DEFAULTS, {});
    expect(replayCommand(7, 'random', defaults)).toBe('FUZZ_SEED=7 FUZZ_ONLY=random npm run fuzz');
    const short = fuzzOptions({ seeds: 10, seconds: 6 }, {});
    expect(replayCommand(7, 'random', short)).toBe(
      'FUZZ_SEED=7 FUZZ_SECONDS=6 FUZZ_ONLY=random npm run fuzz',
    );
    expect(replayCommand(7, 'figure8', short)).toBe('FUZZ_SEED=7 FUZZ_ONLY=figure8 npm run fuzz');
  });
});
