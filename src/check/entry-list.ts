/**
 * One partition's call and return events in time order, as a doubly linked list that the
 * search lifts an operation out of (its call and its return) when it linearizes it and puts
 * back when it backtracks (dancing links: undoing in reverse order restores the list exactly).
 *
 * Entries are numbered 1..length in time order; 0 is the head and length + 1 the tail. At
 * equal times calls come before returns, so intervals are closed: an operation that returns
 * at t overlaps one called at t. Open operations have a call entry and no return entry.
 */
export class EntryList {
  static readonly HEAD = 0;
  readonly tail: number;
  readonly next: Int32Array;
  readonly prev: Int32Array;
  /** The operation of each entry. */
  readonly op: Int32Array;
  /** A call entry's return entry (-1: open); a return entry's call entry. */
  readonly match: Int32Array;
  /** 1 for a call entry, 0 for a return entry (and for head and tail). */
  readonly isCall: Uint8Array;

  /** `calls[i]`, `returns[i]`: operation i's times; returns[i] undefined for an open operation. */
  constructor(calls: ArrayLike<number>, returns: ArrayLike<number | undefined>) {
    const count = calls.length;
    // Event code 2i: operation i's call; 2i + 1: its return.
    const codes: number[] = [];
    for (let i = 0; i < count; i++) {
      codes.push(2 * i);
      if (returns[i] !== undefined) codes.push(2 * i + 1);
    }
    const time = (code: number) => ((code & 1) === 0 ? calls[code >>> 1]! : returns[code >>> 1]!);
    codes.sort((a, b) => time(a) - time(b) || (a & 1) - (b & 1) || a - b);
    const size = codes.length + 2;
    this.tail = size - 1;
    this.next = new Int32Array(size);
    this.prev = new Int32Array(size);
    this.op = new Int32Array(size).fill(-1);
    this.match = new Int32Array(size).fill(-1);
    this.isCall = new Uint8Array(size);
    const entryOf = new Int32Array(2 * count);
    codes.forEach((code, i) => {
      const entry = i + 1;
      entryOf[code] = entry;
      this.op[entry] = code >>> 1;
      this.isCall[entry] = (code & 1) === 0 ? 1 : 0;
    });
    for (let i = 0; i < count; i++) {
      if (returns[i] === undefined) continue;
      const call = entryOf[2 * i]!;
      const ret = entryOf[2 * i + 1]!;
      this.match[call] = ret;
      this.match[ret] = call;
    }
    for (let entry = 0; entry < size; entry++) {
      this.next[entry] = entry + 1;
      this.prev[entry] = entry - 1;
    }
  }

  /** Takes a call entry and its return entry (if any) out of the list. */
  lift(call: number): void {
    const { next, prev } = this;
    next[prev[call]!] = next[call]!;
    prev[next[call]!] = prev[call]!;
    const ret = this.match[call]!;
    if (ret >= 0) {
      next[prev[ret]!] = next[ret]!;
      prev[next[ret]!] = prev[ret]!;
    }
  }

  /** Puts back what the matching lift took out; unlifts must come in reverse order of lifts. */
  unlift(call: number): void {
    const { next, prev } = this;
    const ret = this.match[call]!;
    if (ret >= 0) {
      next[prev[ret]!] = ret;
      prev[next[ret]!] = ret;
    }
    next[prev[call]!] = call;
    prev[next[call]!] = call;
  }
}
