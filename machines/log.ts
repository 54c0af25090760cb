/**
 * The Raft log, indexed from 1. Guards read it and assigns edit it, so it lives in the
 * machine's context. Edit methods return the log to keep in context: the production
 * implementation edits in place and returns itself (no copy per event); a copy-on-write
 * implementation of the same interface serves the generated path tests.
 *
 * After compaction the log starts after a snapshot: entries up to `snapshotIndex` are gone,
 * but the term of the last one (`snapshotTerm`) is kept, so consistency checks at the
 * boundary still work. Every index-to-position computation lives here, nowhere else.
 */
import type { ClusterConfig } from './membership.js';

export interface LogEntry {
  readonly term: number;
  /** The application's command; null for a leader's no-op and for a configuration entry. */
  readonly command: unknown;
  /** Present on a configuration entry: the members from this index on (machines/membership.ts). */
  readonly config?: ClusterConfig;
}

export interface RaftLog {
  /** Index of the last entry, 0 when empty (snapshotIndex when only the snapshot remains). */
  readonly lastIndex: number;
  /** Term of the last entry (snapshotTerm when only the snapshot remains). */
  readonly lastTerm: number;
  /** The last index the snapshot covers; 0 before any compaction. */
  readonly snapshotIndex: number;
  readonly snapshotTerm: number;
  /**
   * Term of the entry at `index`: 0 for index 0, snapshotTerm at snapshotIndex, undefined
   * when there is no such entry (past the end, or compacted away).
   */
  termAt(index: number): number | undefined;
  /** Entries in [from, toInclusive]; `from` must be after snapshotIndex. */
  slice(from: number, toInclusive: number): LogEntry[];
  /** Appends after lastIndex. */
  append(entries: readonly LogEntry[]): RaftLog;
  /** Drops the entry at `index` and every later one; `index` must be after snapshotIndex. */
  truncateFrom(index: number): RaftLog;
  /**
   * Discards everything up to `index`, which a snapshot with last term `term` now covers.
   * If the log holds that entry with that term, the entries after it stay; otherwise the
   * whole log goes (Figure 13, step 6-7).
   */
  compact(index: number, term: number): RaftLog;
}

/** The production log: one array plus the snapshot's index and term, edited in place. */
export class ArrayRaftLog implements RaftLog {
  #entries: LogEntry[];
  #snapshotIndex: number;
  #snapshotTerm: number;

  constructor(
    entries: readonly LogEntry[] = [],
    snapshot: { index: number; term: number } = { index: 0, term: 0 },
  ) {
    this.#entries = [...entries];
    this.#snapshotIndex = snapshot.index;
    this.#snapshotTerm = snapshot.term;
  }

  get lastIndex(): number {
    return this.#snapshotIndex + this.#entries.length;
  }

  get lastTerm(): number {
    return this.#entries.at(-1)?.term ?? this.#snapshotTerm;
  }

  get snapshotIndex(): number {
    return this.#snapshotIndex;
  }

  get snapshotTerm(): number {
    return this.#snapshotTerm;
  }

  termAt(index: number): number | undefined {
    if (index === this.#snapshotIndex) return this.#snapshotTerm;
    if (index < this.#snapshotIndex) return index === 0 ? 0 : undefined;
    return this.#entries[index - this.#snapshotIndex - 1]?.term;
  }

  slice(from: number, toInclusive: number): LogEntry[] {
    const base = this.#snapshotIndex;
    if (base > 0 && from <= base && toInclusive >= from) {
      throw new RangeError(`slice(${from}, ${toInclusive}): entries up to ${base} were compacted`);
    }
    return this.#entries.slice(Math.max(from, 1) - base - 1, Math.max(toInclusive - base, 0));
  }

  append(entries: readonly LogEntry[]): RaftLog {
    for (const entry of entries) this.#entries.push(entry);
    return this;
  }

  truncateFrom(index: number): RaftLog {
    if (index < 1) throw new RangeError(`truncateFrom(${index}): Raft log indexes start at 1`);
    if (index <= this.#snapshotIndex) {
      throw new RangeError(
        `truncateFrom(${index}): entries up to ${this.#snapshotIndex} are in the snapshot`,
      );
    }
    this.#entries.length = Math.min(this.#entries.length, index - this.#snapshotIndex - 1);
    return this;
  }

  compact(index: number, term: number): RaftLog {
    if (index <= this.#snapshotIndex) return this;
    const keepsTail = this.termAt(index) === term;
    this.#entries = keepsTail ? this.#entries.slice(index - this.#snapshotIndex) : [];
    this.#snapshotIndex = index;
    this.#snapshotTerm = term;
    return this;
  }
}
