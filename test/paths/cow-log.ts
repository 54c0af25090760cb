/**
 * A copy-on-write RaftLog for the generated path tests: every edit returns a new log, so
 * the graph traversal can branch from one state into many without them sharing a log.
 * Same interface and semantics as machines/log.ts's ArrayRaftLog.
 */
import type { LogEntry, RaftLog } from '../../machines/index.js';
import { ArrayRaftLog } from '../../machines/index.js';

export class CowRaftLog implements RaftLog {
  readonly #entries: readonly LogEntry[];
  readonly #base: { readonly index: number; readonly term: number };
  /** For reads: the production log over the same entries, never edited. */
  readonly #view: ArrayRaftLog;

  constructor(entries: readonly LogEntry[] = [], base = { index: 0, term: 0 }) {
    this.#entries = entries;
    this.#base = base;
    this.#view = new ArrayRaftLog(entries, base);
  }

  get lastIndex(): number {
    return this.#view.lastIndex;
  }
  get lastTerm(): number {
    return this.#view.lastTerm;
  }
  get snapshotIndex(): number {
    return this.#base.index;
  }
  get snapshotTerm(): number {
    return this.#base.term;
  }
  termAt(index: number): number | undefined {
    return this.#view.termAt(index);
  }
  slice(from: number, toInclusive: number): LogEntry[] {
    return this.#view.slice(from, toInclusive);
  }
  append(entries: readonly LogEntry[]): RaftLog {
    return new CowRaftLog([...this.#entries, ...entries], this.#base);
  }
  truncateFrom(index: number): RaftLog {
    return this.#edited((log) => log.truncateFrom(index));
  }
  compact(index: number, term: number): RaftLog {
    return this.#edited((log) => log.compact(index, term));
  }

  /** Every entry after the snapshot, as its term and a configuration's members: compact, for serialization. */
  shape(): string[] {
    return this.#entries.map((e) =>
      e.config === undefined
        ? String(e.term)
        : `${e.term}:${e.config.voters.join('')}/${e.config.learners.join('')}`,
    );
  }

  #edited(edit: (log: ArrayRaftLog) => RaftLog): RaftLog {
    const copy = new ArrayRaftLog(this.#entries, this.#base);
    const edited = edit(copy);
    return new CowRaftLog(edited.slice(edited.snapshotIndex + 1, edited.lastIndex), {
      index: edited.snapshotIndex,
      term: edited.snapshotTerm,
    });
  }
}
