/**
 * The persisted state as file storage keeps it in memory: the hardState, the snapshot and
 * the log after it, edited record by record (the same edits whether a batch is being
 * written or the log replayed), with the encoded size kept per entry as memory storage does.
 */
import type { HardState, LogEntry, SnapshotRecord } from '../../machines/index.js';
import type { PersistedState } from '../node/providers.js';
import { entrySize, hardStateSize, snapshotMetaSize } from './state-size.js';

export class LogState {
  hardState: HardState = { currentTerm: 0, votedFor: null };
  #snapshot: SnapshotRecord | undefined;
  // entries[0] is at index baseIndex + 1.
  readonly #entries: LogEntry[] = [];
  readonly #entrySizes: number[] = [];
  #entryBytes = 0;

  get snapshot(): SnapshotRecord | undefined {
    return this.#snapshot;
  }

  /** The snapshot's index, 0 without one: the log's entries follow it. */
  get baseIndex(): number {
    return this.#snapshot?.index ?? 0;
  }

  get lastIndex(): number {
    return this.baseIndex + this.#entries.length;
  }

  /** The snapshot becomes the log's base, and the log after it is empty. */
  replaceBase(snapshot: SnapshotRecord): void {
    this.#snapshot = snapshot;
    this.#entries.length = 0;
    this.#entrySizes.length = 0;
    this.#entryBytes = 0;
  }

  /** Drops the entry at `from` and every later one; baseIndex < from <= lastIndex. */
  truncateFrom(from: number): void {
    const keep = from - 1 - this.baseIndex;
    for (let i = this.#entries.length - 1; i >= keep; i--) this.#entryBytes -= this.#entrySizes[i]!;
    this.#entries.length = keep;
    this.#entrySizes.length = keep;
  }

  /** `size` is the entry's `entrySize`, when the caller has it already. */
  append(entry: LogEntry, size = entrySize(entry)): void {
    this.#entries.push(entry);
    this.#entrySizes.push(size);
    this.#entryBytes += size;
  }

  /** As MemoryStorage counts it: hardState, the snapshot's index and term, the entries. */
  get stateBytes(): number {
    return hardStateSize(this.hardState) + snapshotMetaSize(this.#snapshot) + this.#entryBytes;
  }

  get snapshotBytes(): number {
    return this.#snapshot === undefined ? 0 : Buffer.byteLength(this.#snapshot.data);
  }

  /** A copy: later edits do not change it. */
  toPersisted(): PersistedState {
    const state = { hardState: this.hardState, entries: [...this.#entries] };
    return this.#snapshot === undefined ? state : { ...state, snapshot: this.#snapshot };
  }
}
