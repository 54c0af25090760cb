/**
 * Seeded randomness in separate streams (node timers, network, tester), each derived from
 * the run's seed and the stream's name, so adding draws in one place never reshuffles
 * another. Same seed, same run.
 */
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { RandomSource } from '../node/providers.js';

export class SeededRandom implements RandomSource {
  readonly #generator;

  constructor(seed: number, stream: string) {
    this.#generator = xoroshiro128plus(streamSeed(seed, stream));
  }

  int(maxInclusive: number): number {
    if (maxInclusive <= 0) return 0;
    return uniformInt(this.#generator, 0, maxInclusive);
  }

  /** True with probability `numerator / denominator`: one draw of `int(denominator - 1)`. */
  chance(numerator: number, denominator: number): boolean {
    return this.int(denominator - 1) < numerator;
  }

  /** One of `items`, uniformly. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick from an empty list');
    return items[this.int(items.length - 1)]!;
  }
}

/** FNV-1a over the stream name, mixed with the seed by murmur3's finalizer. */
function streamSeed(seed: number, stream: string): number {
  let h = 0x811c9dc5 ^ (seed | 0);
  for (let i = 0; i < stream.length; i++) {
    h = Math.imul(h ^ stream.charCodeAt(i), 0x01000193);
  }
  h = Math.imul(h ^ (seed >>> 16) ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) | 0;
}
