/** Seeded randomness in named streams: same seed and stream, same draws. */
import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../src/sim/seeded-random.js';

function draws(random: SeededRandom, count: number, max = 1_000_000): number[] {
  return Array.from({ length: count }, () => random.int(max));
}

describe('SeededRandom streams', () => {
  it('gives the same sequence for the same seed and stream name', () => {
    for (const [seed, stream] of [
      [1, 'network'],
      [0, ''],
      [-5, 'timers:0:1'],
      [2 ** 31 - 1, 'tester'],
    ] as const) {
      expect(draws(new SeededRandom(seed, stream), 200)).toEqual(draws(new SeededRandom(seed, stream), 200));
    }
  });

  it('gives the same mixed sequence of int, chance and pick calls', () => {
    const run = () => {
      const random = new SeededRandom(99, 'mixed');
      const out: unknown[] = [];
      for (let i = 0; i < 100; i++) {
        out.push(random.int(i), random.chance(1, 3), random.pick(['x', 'y', 'z']));
      }
      return out;
    };
    expect(run()).toEqual(run());
  });

  it('gives different sequences for different stream names under one seed', () => {
    const names = ['network', 'tester', 'timers:0:1', 'timers:0:2', 'timers:1:1', 'a', 'b', ''];
    const sequences = names.map((name) => JSON.stringify(draws(new SeededRandom(7, name), 20)));
    expect(new Set(sequences).size).toBe(names.length);
  });

  it('gives different sequences for different seeds under one stream name', () => {
    const seeds = [0, 1, 2, 3, 42, -1, 65536, 65537, 2 ** 20, 123456789];
    const sequences = seeds.map((seed) => JSON.stringify(draws(new SeededRandom(seed, 'network'), 20)));
    expect(new Set(sequences).size).toBe(seeds.length);
  });

  it('keeps streams independent: draws from one never shift another', () => {
    const alone = draws(new SeededRandom(3, 'network'), 50);
    const network = new SeededRandom(3, 'network');
    const tester = new SeededRandom(3, 'tester');
    const interleaved: number[] = [];
    for (let i = 0; i < 50; i++) {
      draws(tester, 3);
      interleaved.push(network.int(1_000_000));
    }
    expect(interleaved).toEqual(alone);
  });

  it('does not produce a constant sequence', () => {
    const values = draws(new SeededRandom(1, 'network'), 100);
    expect(new Set(values).size).toBeGreaterThan(90);
  });
});

describe('SeededRandom.int', () => {
  it('stays within [0, max] inclusive and hits both ends', () => {
    for (const max of [1, 2, 6, 26, 99]) {
      const random = new SeededRandom(11, `int-${max}`);
      const seen = new Set<number>();
      const outOfRange: number[] = [];
      for (let i = 0; i < 20_000; i++) {
        const value = random.int(max);
        if (!Number.isInteger(value) || value < 0 || value > max) outOfRange.push(value);
        seen.add(value);
      }
      expect(outOfRange).toEqual([]);
      expect(seen.has(0)).toBe(true);
      expect(seen.has(max)).toBe(true);
      expect(seen.size).toBe(max + 1);
    }
  });

  it('is roughly uniform', () => {
    const random = new SeededRandom(5, 'uniform');
    const counts = new Array<number>(10).fill(0);
    const n = 100_000;
    for (let i = 0; i < n; i++) counts[random.int(9)]!++;
    for (const count of counts) {
      expect(count).toBeGreaterThan(n / 10 - 1000);
      expect(count).toBeLessThan(n / 10 + 1000);
    }
  });

  it('returns 0 for a max of 0 or below', () => {
    const random = new SeededRandom(1, 'zero');
    for (let i = 0; i < 100; i++) {
      expect(random.int(0)).toBe(0);
      expect(random.int(-3)).toBe(0);
    }
  });

  it('handles large ranges', () => {
    const random = new SeededRandom(1, 'large');
    const max = 2 ** 40;
    let above = 0;
    for (let i = 0; i < 1000; i++) {
      const value = random.int(max);
      expect(Number.isInteger(value)).toBe(true);
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThanOrEqual(max);
      if (value > 2 ** 32) above++;
    }
    expect(above).toBeGreaterThan(900);
  });
});

describe('SeededRandom.chance', () => {
  it.each([
    ['10%', 100, 1000, { seed: 2024, n: 100_000, above: 0.09, below: 0.11 }],
    ['2/3', 600, 900, { seed: 2025, n: 30_000, above: 0.64, below: 0.69 }],
  ] as const)(
    'is true about %s of the time for chance(%i, %i)',
    (_share, numerator, denominator, { seed, n, above, below }) => {
      const random = new SeededRandom(seed, 'chance');
      let hits = 0;
      for (let i = 0; i < n; i++) if (random.chance(numerator, denominator)) hits++;
      expect(hits / n).toBeGreaterThan(above);
      expect(hits / n).toBeLessThan(below);
    },
  );

  it('is never true with numerator 0, always true with numerator = denominator', () => {
    const random = new SeededRandom(3, 'chance-edges');
    for (let i = 0; i < 1000; i++) {
      expect(random.chance(0, 1000)).toBe(false);
      expect(random.chance(1000, 1000)).toBe(true);
    }
  });
});

describe('SeededRandom.pick', () => {
  it('picks every item of the list, roughly uniformly, and nothing else', () => {
    const random = new SeededRandom(8, 'pick');
    const items = ['a', 'b', 'c', 'd'] as const;
    const counts = new Map<string, number>();
    const n = 40_000;
    for (let i = 0; i < n; i++) {
      const item = random.pick(items);
      counts.set(item, (counts.get(item) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual([...items]);
    for (const count of counts.values()) {
      expect(count).toBeGreaterThan(n / 4 - 800);
      expect(count).toBeLessThan(n / 4 + 800);
    }
  });

  it('always picks the only item of a one-item list', () => {
    const random = new SeededRandom(8, 'pick-one');
    const only = { id: 1 };
    for (let i = 0; i < 50; i++) expect(random.pick([only])).toBe(only);
  });

  it('throws a RangeError on an empty list', () => {
    const random = new SeededRandom(8, 'pick-empty');
    expect(() => random.pick([])).toThrow(RangeError);
  });
});
