/**
 * One partition's call and return events in time order, as a doubly linked list that the
 * search lifts an operation out of (its call and its return) when it linearizes it and puts
 * back when it backtracks (dancing links: undoing in reverse order restores the list exactly).
 *
 * Entries are numbered 1..length in time order; 0 is the head and length + 1 the tail. At
 * equal times calls come before returns, so intervals are closed: an operation that returns
 * at t overlaps one called at t. An open operation has a call entry and, if it has an
 * effectBy time, an expiry entry there (sorted as a return is), else nothing more.
 */
export const RETURN = 0;
export const CALL = 1;
export const EXPIRY = 2;

export class EntryList {
  static readonly HEAD = 0;
  readonly tail: number;
  readonly next: Int32Array;
  readonly prev: Int32Array;
  /** The operation of each entry. */
  readonly op: Int32Array;
  /** A call entry's return or expiry entry (-1: none); a return or expiry entry's call entry. */
  readonly match: Int32Array;
  /** CALL, RETURN or EXPIRY (RETURN for head and tail). */
  readonly kind: Uint8Array;

  /**
   * `calls[i]`, `ends[i]`: operation i's call time and its return (or effectBy) time,
   * undefined if none; `expires[i]`: whether ends[i] is an effectBy time.
   */
  constructor(calls: ArrayLike<number>, ends: ArrayLike<number | undefined>, expires: ArrayLike<boolean>) {
    const count = calls.length;
    // Event code 2i: operation i's call; 2i + 1: its end.
    const codes: number[] = [];
    for (let i = 0; i < count; i++) {
      codes.push(2 * i);
      if (ends[i] !== undefined) codes.push(2 * i + 1);
    }
    const time = (code: number) => ((code & 1) === 0 ? calls[code >>> 1]! : ends[code >>> 1]!);
    codes.sort((a, b) => time(a) - time(b) || (a & 1) - (b & 1) || a - b);
    const size = codes.length + 2;
    this.tail = size - 1;
    this.next = new Int32Array(size);
    this.prev = new Int32Array(size);
    this.op = new Int32Array(size).fill(-1);
    this.match = new Int32Array(size).fill(-1);
    this.kind = new Uint8Array(size);
    const entryOf = new Int32Array(2 * count);
    codes.forEach((code, i) => {
      const entry = i + 1;
      const op = code >>> 1;
      entryOf[code] = entry;
      this.op[entry] = op;
      this.kind[entry] = (code & 1) === 0 ? CALL : expires[op] ? EXPIRY : RETURN;
    });
    for (let i = 0; i < count; i++) {
      if (ends[i] === undefined) continue;
      const call = entryOf[2 * i]!;
      const end = entryOf[2 * i + 1]!;
      this.match[call] = end;
      this.match[end] = call;
    }
    for (let entry = 0; entry < size; entry++) {
      this.next[entry] = entry + 1;
      this.prev[entry] = entry - 1;
    }
  }

  /** Takes a call entry and its end entry (if any) out of the list. */
  lift(call: number): void {
    const { next, prev } = this;
    next[prev[call]!] = next[call]!;
    prev[next[call]!] = prev[call]!;
    const end = this.match[call]!;
    if (end >= 0) {
      next[prev[end]!] = next[end]!;
      prev[next[end]!] = prev[end]!;
    }
  }

  /** Puts back what the matching lift took out; unlifts must come in reverse order of lifts. */
  unlift(call: number): void {
    const { next, prev } = this;
    const end = this.match[call]!;
    if (end >= 0) {
      next[prev[end]!] = end;
      prev[next[end]!] = end;
    }
    next[prev[call]!] = call;
    prev[next[call]!] = call;
  }
}
