import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../src/sim/seeded-random.js';
import { utf8Bytes } from '../src/utf8-bytes.js';

describe('utf8Bytes', () => {
  it('agrees with Buffer.byteLength on ASCII, 2-, 3- and 4-byte characters and lone surrogates', () => {
    for (const s of ['', 'abc', 'é', '€', '😀', 'a😀b', '\ud800', '\udc00x', '\ud83d\ud83d\ude00']) {
      expect(utf8Bytes(s)).toBe(Buffer.byteLength(s));
    }
  });

  it('agrees with Buffer.byteLength on random strings of any code units (seeded)', () => {
    const random = new SeededRandom(11, 'utf8');
    for (let n = 0; n < 500; n++) {
      const units = Array.from({ length: random.int(40) }, () =>
        random.chance(1, 2) ? random.int(0x7f) : random.int(0xffff),
      );
      const s = String.fromCharCode(...units);
      expect(utf8Bytes(s), JSON.stringify(s)).toBe(Buffer.byteLength(s));
    }
  });
});
