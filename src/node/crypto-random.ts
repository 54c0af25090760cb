/** The production random source: the operating system's, so no two nodes draw alike. */
import { randomInt } from 'node:crypto';
import type { RandomSource } from './providers.js';

export const CRYPTO_RANDOM: RandomSource = {
  int: (maxInclusive) => (maxInclusive <= 0 ? 0 : randomInt(0, maxInclusive + 1)),
};
