/**
 * The set of operations a search has linearized so far, as a bitset with an incremental
 * hash, and a compact canonical record of it for the memo table.
 *
 * Operations 0..returned-1 returned (numbered in call order); returned..count-1 are open.
 * The search linearizes only calls made before the earliest pending return, so the returned
 * part is a run of full words, a few mixed words, then zeros: the record keeps the count of
 * leading full words, the mixed words and the open part, a few words where a plain copy of
 * the bitset would cost count/32 words per memo entry (quadratic memory on long histories).
 *
 * The hash covers the returned part only. Open operations need never be linearized, so
 * having used fewer of them leaves more choices: a search that failed from (set, state)
 * fails from any (set plus more open operations, state), and the memo treats a recorded
 * open part that is a subset of the current one as a match (`coversRecord`). Without that,
 * each open write whose effect was later overwritten would double the search.
 */
export class LinearizedSet {
  /** Returned part (`returnedWords` words) then open part. */
  readonly words: Uint32Array;
  readonly returnedWords: number;
  readonly openWords: number;
  /** Leading returned words that are full: every operation below lo * 32 is in the set. */
  lo = 0;
  /** One past the last nonzero returned word (0: none). */
  hi = 0;
  /** XOR of the returned members' random keys (Zobrist hashing): adding or removing one is O(1). */
  hash = 0;
  readonly #full: Uint32Array;
  readonly #word: Int32Array;
  readonly #bit: Int32Array;
  readonly #key: Int32Array;

  constructor(returned: number, open: number) {
    this.returnedWords = Math.ceil(returned / 32);
    this.openWords = Math.ceil(open / 32);
    this.words = new Uint32Array(this.returnedWords + this.openWords);
    this.#full = new Uint32Array(this.returnedWords).fill(0xffffffff);
    if (returned % 32 !== 0) this.#full[this.returnedWords - 1] = 2 ** (returned % 32) - 1;
    const count = returned + open;
    this.#word = new Int32Array(count);
    this.#bit = new Int32Array(count);
    this.#key = new Int32Array(count);
    for (let op = 0; op < count; op++) {
      const slot = op < returned ? op : this.returnedWords * 32 + (op - returned);
      this.#word[op] = slot >>> 5;
      this.#bit[op] = 1 << (slot & 31);
      this.#key[op] = mix32(op + 1);
    }
  }

  has(op: number): boolean {
    return (this.words[this.#word[op]!]! & this.#bit[op]!) !== 0;
  }

  add(op: number): void {
    const w = this.#word[op]!;
    const words = this.words;
    words[w] = words[w]! | this.#bit[op]!;
    if (w >= this.returnedWords) return;
    this.hash ^= this.#key[op]!;
    if (w >= this.hi) this.hi = w + 1;
    if (w === this.lo) {
      let lo = w;
      while (lo < this.returnedWords && words[lo] === this.#full[lo]) lo++;
      this.lo = lo;
    }
  }

  remove(op: number): void {
    const w = this.#word[op]!;
    const words = this.words;
    words[w] = words[w]! & ~this.#bit[op]!;
    if (w >= this.returnedWords) return;
    this.hash ^= this.#key[op]!;
    if (w < this.lo) this.lo = w;
    if (w === this.hi - 1) {
      let hi = w + 1;
      while (hi > 0 && words[hi - 1] === 0) hi--;
      this.hi = hi;
    }
  }

  /** Words the record takes: lo, hi, the mixed returned words, the open words. */
  recordLength(): number {
    return 2 + Math.max(0, this.hi - this.lo) + this.openWords;
  }

  writeRecord(pool: Uint32Array, at: number): void {
    const { words, lo, hi } = this;
    pool[at] = lo;
    pool[at + 1] = hi;
    let p = at + 2;
    for (let w = lo; w < hi; w++) pool[p++] = words[w]!;
    for (let w = this.returnedWords, end = words.length; w < end; w++) pool[p++] = words[w]!;
  }

  /**
   * Whether the record at `at` has this set's returned part (records are canonical: equal
   * parts, equal records) and an open part that is a subset of this set's.
   */
  coversRecord(pool: Uint32Array, at: number): boolean {
    const { words, lo, hi } = this;
    if (pool[at] !== lo || pool[at + 1] !== hi) return false;
    let p = at + 2;
    for (let w = lo; w < hi; w++) if (pool[p++] !== words[w]) return false;
    for (let w = this.returnedWords, end = words.length; w < end; w++) {
      if ((pool[p++]! & ~words[w]!) !== 0) return false;
    }
    return true;
  }
}

/** murmur3's 32-bit finalizer: a fixed, well-spread key per operation (same run, same keys). */
export function mix32(x: number): number {
  let h = Math.imul(x ^ 0x9e3779b9, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}
