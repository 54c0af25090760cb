/**
 * The Raft log, indexed from 1. Guards read it and assigns edit it, so it lives in the
 * machine's context. Edit methods return the log to keep in context: the production
 * implementation edits in place and returns itself (no copy per event); a copy-on-write
 * implementation of the same interface serves the generated path tests.
 */
export interface LogEntry {
  readonly term: number;
  readonly command: unknown;
}

export interface RaftLog {
  /** Index of the last entry, 0 when empty. */
  readonly lastIndex: number;
  /** Term of the last entry, 0 when empty. */
  readonly lastTerm: number;
  /** Term of the entry at `index`: 0 for index 0, undefined when there is no such entry. */
  termAt(index: number): number | undefined;
  /** Entries in [from, toInclusive], copies of the references (entries are immutable). */
  slice(from: number, toInclusive: number): LogEntry[];
  /** Appends after lastIndex. */
  append(entries: readonly LogEntry[]): RaftLog;
  /** Drops the entry at `index` and every later one. */
  truncateFrom(index: number): RaftLog;
}

/** The production log: one array, edited in place. */
export class ArrayRaftLog implements RaftLog {
  readonly #entries: LogEntry[];

  constructor(entries: readonly LogEntry[] = []) {
    this.#entries = [...entries];
  }

  get lastIndex(): number {
    return this.#entries.length;
  }

  get lastTerm(): number {
    return this.#entries.at(-1)?.term ?? 0;
  }

  termAt(index: number): number | undefined {
    if (index === 0) return 0;
    return this.#entries[index - 1]?.term;
  }

  slice(from: number, toInclusive: number): LogEntry[] {
    return this.#entries.slice(Math.max(from, 1) - 1, Math.max(toInclusive, 0));
  }

  append(entries: readonly LogEntry[]): RaftLog {
    for (const entry of entries) this.#entries.push(entry);
    return this;
  }

  truncateFrom(index: number): RaftLog {
    if (index < 1) throw new RangeError(`truncateFrom(${index}): Raft log indexes start at 1`);
    this.#entries.length = Math.min(this.#entries.length, index - 1);
    return this;
  }
}
