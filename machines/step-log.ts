/**
 * The log the pure step keeps in its states: persistent, so a step never changes the state
 * it was given (the production ArrayRaftLog edits in place, which an actor can afford and a
 * replay cannot). Versions share one entry buffer: a version at the end of the buffer
 * appends to it in place, and every older version still sees only its own prefix, so the
 * common path (a log that only grows) costs no copy. Appending to a version that is no
 * longer at the end (after a truncation, or a branch) copies its entries first.
 */
import type { LogEntry, RaftLog } from './log.js';

export class PersistentRaftLog implements RaftLog {
  /** Shared by versions; only ever appended to, by the version whose view ends at its end. */
  readonly #buffer: LogEntry[];
  /** This version's entries are #buffer[#start, #end): the entries after the snapshot. */
  readonly #start: number;
  readonly #end: number;
  readonly snapshotIndex: number;
  readonly snapshotTerm: number;

  private constructor(
    buffer: LogEntry[],
    start: number,
    end: number,
    snapshotIndex: number,
    snapshotTerm: number,
  ) {
    this.#buffer = buffer;
    this.#start = start;
    this.#end = end;
    this.snapshotIndex = snapshotIndex;
    this.snapshotTerm = snapshotTerm;
  }

  /** The same log as `log` (any implementation; none: empty), as a persistent one; `log` is only read. */
  static from(log: RaftLog | undefined): PersistentRaftLog {
    if (log === undefined) return new PersistentRaftLog([], 0, 0, 0, 0);
    if (log instanceof PersistentRaftLog) return log;
    const entries = log.slice(log.snapshotIndex + 1, log.lastIndex);
    return new PersistentRaftLog(entries, 0, entries.length, log.snapshotIndex, log.snapshotTerm);
  }

  get lastIndex(): number {
    return this.snapshotIndex + this.#length;
  }

  get lastTerm(): number {
    return this.#end > this.#start ? this.#buffer[this.#end - 1]!.term : this.snapshotTerm;
  }

  termAt(index: number): number | undefined {
    if (index === this.snapshotIndex) return this.snapshotTerm;
    if (index < this.snapshotIndex) return index === 0 ? 0 : undefined;
    const offset = index - this.snapshotIndex - 1;
    return offset < this.#length ? this.#buffer[this.#start + offset]!.term : undefined;
  }

  slice(from: number, toInclusive: number): LogEntry[] {
    const base = this.snapshotIndex;
    if (base > 0 && from <= base && toInclusive >= from) {
      throw new RangeError(`slice(${from}, ${toInclusive}): entries up to ${base} were compacted`);
    }
    const first = Math.max(Math.max(from, 1) - base - 1, 0);
    const afterLast = Math.min(Math.max(toInclusive - base, 0), this.#length);
    return first < afterLast ? this.#buffer.slice(this.#start + first, this.#start + afterLast) : [];
  }

  append(entries: readonly LogEntry[]): RaftLog {
    if (entries.length === 0) return this;
    const atEnd = this.#end === this.#buffer.length;
    const buffer = atEnd ? this.#buffer : this.#buffer.slice(this.#start, this.#end);
    const start = atEnd ? this.#start : 0;
    for (const entry of entries) buffer.push(entry);
    return new PersistentRaftLog(buffer, start, buffer.length, this.snapshotIndex, this.snapshotTerm);
  }

  truncateFrom(index: number): RaftLog {
    if (index < 1) throw new RangeError(`truncateFrom(${index}): Raft log indexes start at 1`);
    if (index <= this.snapshotIndex) {
      throw new RangeError(`truncateFrom(${index}): entries up to ${this.snapshotIndex} are in the snapshot`);
    }
    const kept = Math.min(this.#length, index - this.snapshotIndex - 1);
    if (kept === this.#length) return this;
    return new PersistentRaftLog(
      this.#buffer,
      this.#start,
      this.#start + kept,
      this.snapshotIndex,
      this.snapshotTerm,
    );
  }

  compact(index: number, term: number): RaftLog {
    if (index <= this.snapshotIndex) return this;
    // The kept tail is copied, so the compacted entries are not held alive by the buffer.
    const tail = this.termAt(index) === term ? this.slice(index + 1, this.lastIndex) : [];
    return new PersistentRaftLog(tail, 0, tail.length, index, term);
  }

  get #length(): number {
    return this.#end - this.#start;
  }
}
