/**
 * The (linearized set, state) pairs a search has already reached: reaching one again can
 * only repeat work, so the search prunes it (as it does a pair whose set only adds open
 * operations to a reached one's: see LinearizedSet). An open-addressed index over chains, with the
 * sets' records packed in one growing word pool, so adding a pair allocates nothing but
 * the occasional doubling.
 */
import type { LinearizedSet } from './linearized-set.js';

export class MemoTable<S> {
  readonly #equal: (a: S, b: S) => boolean;
  #buckets = new Int32Array(1024).fill(-1);
  #chain = new Int32Array(1024);
  #hashes = new Int32Array(1024);
  #starts = new Int32Array(1024);
  #states: S[] = [];
  #pool: Uint32Array = new Uint32Array(4096);
  #used = 0;
  #size = 0;

  constructor(equal: (a: S, b: S) => boolean) {
    this.#equal = equal;
  }

  get size(): number {
    return this.#size;
  }

  /** Adds (`set`, `state`) unless it is covered by a pair there; true if it was added. `hash` covers both. */
  add(set: LinearizedSet, hash: number, state: S): boolean {
    const pool = this.#pool;
    const states = this.#states;
    const hashes = this.#hashes;
    const starts = this.#starts;
    const chain = this.#chain;
    for (let e = this.#buckets[hash & (this.#buckets.length - 1)]!; e >= 0; e = chain[e]!) {
      if (hashes[e] === hash && set.coversRecord(pool, starts[e]!) && this.#equal(states[e]!, state)) {
        return false;
      }
    }
    this.#insert(set, hash, state);
    return true;
  }

  #insert(set: LinearizedSet, hash: number, state: S): void {
    const e = this.#size;
    if (e === this.#chain.length) this.#growEntries();
    const length = set.recordLength();
    if (this.#used + length > this.#pool.length) {
      const pool = new Uint32Array(Math.max(this.#pool.length * 2, this.#used + length));
      pool.set(this.#pool.subarray(0, this.#used));
      this.#pool = pool;
    }
    set.writeRecord(this.#pool, this.#used);
    this.#starts[e] = this.#used;
    this.#used += length;
    this.#hashes[e] = hash;
    this.#states.push(state);
    this.#size = e + 1;
    if (this.#size * 4 > this.#buckets.length * 3) this.#rehash(this.#buckets.length * 2);
    else this.#link(e);
  }

  #link(e: number): void {
    const b = this.#hashes[e]! & (this.#buckets.length - 1);
    this.#chain[e] = this.#buckets[b]!;
    this.#buckets[b] = e;
  }

  #growEntries(): void {
    const capacity = this.#chain.length * 2;
    this.#chain = grown(this.#chain, capacity);
    this.#hashes = grown(this.#hashes, capacity);
    this.#starts = grown(this.#starts, capacity);
  }

  #rehash(bucketCount: number): void {
    this.#buckets = new Int32Array(bucketCount).fill(-1);
    for (let e = 0; e < this.#size; e++) this.#link(e);
  }
}

function grown(array: Int32Array, capacity: number): Int32Array<ArrayBuffer> {
  const bigger = new Int32Array(capacity);
  bigger.set(array);
  return bigger;
}
