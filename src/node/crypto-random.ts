/**
 * The production random source: the platform's Web Crypto (Node and browsers alike), so no
 * two nodes draw alike.
 */
import type { RandomSource } from './providers.js';

const RANGE = 2 ** 32;

export const CRYPTO_RANDOM: RandomSource = {
  int: (maxInclusive) => {
    if (maxInclusive <= 0) return 0;
    const span = maxInclusive + 1;
    if (span > RANGE) throw new RangeError(`CRYPTO_RANDOM draws below 2^32, asked for ${span} values`);
    // Rejection sampling: draws past the last whole multiple of span would favour low values.
    const limit = RANGE - (RANGE % span);
    const word = new Uint32Array(1);
    for (;;) {
      globalThis.crypto.getRandomValues(word);
      if (word[0]! < limit) return word[0]! % span;
    }
  },
};
