/**
 * Storage in memory, for the simulator. Writes apply at once but complete through a
 * promise, the same path as durable storage. A crash hands the state as of that moment to
 * the restarted node and kills this handle: whatever the old node writes later is lost.
 */
import type { HardState, LogEntry, SnapshotRecord } from '../../machines/index.js';
import type { PersistedState, Storage, StorageBatch } from '../node/providers.js';
import { entrySize, hardStateSize, snapshotMetaSize } from './state-size.js';
import { utf8Bytes } from '../utf8-bytes.js';

const EMPTY: PersistedState = { hardState: { currentTerm: 0, votedFor: null }, entries: [] };

export class MemoryStorage implements Storage {
  #hardState: HardState;
  #snapshot: SnapshotRecord | undefined;
  // Entries are immutable values, shared with the node's log rather than copied per write.
  // The first follows the snapshot: entries[0] is at index (snapshot?.index ?? 0) + 1.
  readonly #entries: LogEntry[];
  readonly #entrySizes: number[];
  #entryBytes = 0;
  #dead = false;
  readonly #onDurable: ((hardState: HardState) => void) | undefined;

  /** `onDurable` sees every hardState as it becomes durable (for the invariant checker). */
  constructor(initial: PersistedState = EMPTY, onDurable?: (hardState: HardState) => void) {
    this.#hardState = initial.hardState;
    this.#snapshot = initial.snapshot;
    this.#entries = [...initial.entries];
    this.#entrySizes = this.#entries.map(entrySize);
    for (const size of this.#entrySizes) this.#entryBytes += size;
    this.#onDurable = onDurable;
  }

  load(): Promise<PersistedState> {
    return Promise.resolve(this.#state());
  }

  write(batch: StorageBatch): Promise<void> {
    // A crashed node's handle never completes a write, so nothing that depends on it leaves.
    if (this.#dead) return new Promise<void>(() => {});
    if (batch.hardState !== undefined) {
      this.#hardState = batch.hardState;
      this.#onDurable?.(batch.hardState);
    }
    if (batch.snapshot !== undefined) {
      // Atomic with the rest of the batch: the snapshot becomes the log's base, and the
      // batch's log edit its whole tail.
      this.#snapshot = batch.snapshot;
      this.#entries.length = 0;
      this.#entrySizes.length = 0;
      this.#entryBytes = 0;
    }
    if (batch.log !== undefined) {
      const keep = batch.log.from - 1 - (this.#snapshot?.index ?? 0);
      for (let i = this.#entries.length - 1; i >= keep; i--) this.#entryBytes -= this.#entrySizes[i]!;
      this.#entries.length = Math.min(this.#entries.length, keep);
      this.#entrySizes.length = this.#entries.length;
      for (const entry of batch.log.entries) {
        const size = entrySize(entry);
        this.#entries.push(entry);
        this.#entrySizes.push(size);
        this.#entryBytes += size;
      }
    }
    return Promise.resolve();
  }

  /**
   * Bytes of the persisted Raft state (hardState, the snapshot's index and term, the log;
   * not the snapshot's data), kept up to date per write: what a log-size bound measures.
   */
  get stateBytes(): number {
    return hardStateSize(this.#hardState) + snapshotMetaSize(this.#snapshot) + this.#entryBytes;
  }

  /** Bytes of the snapshot's data (UTF-8). */
  get snapshotBytes(): number {
    return this.#snapshot === undefined ? 0 : utf8Bytes(this.#snapshot.data);
  }

  /** What a restart would load now (the entries copied, the values shared). */
  get persisted(): PersistedState {
    return this.#state();
  }

  /** The persisted hardState. */
  get hardState(): HardState {
    return this.#hardState;
  }

  /** Index of the last persisted entry (the snapshot's when the log after it is empty). */
  get lastIndex(): number {
    return (this.#snapshot?.index ?? 0) + this.#entries.length;
  }

  /**
   * Term of the persisted entry at `index`: the snapshot's at its index, undefined past the
   * end or inside the snapshot (compacted away), 0 at index 0. Cheap: no copy of the log.
   */
  termAt(index: number): number | undefined {
    const base = this.#snapshot?.index ?? 0;
    if (index === base) return this.#snapshot?.term ?? 0;
    return index < base ? undefined : this.#entries[index - base - 1]?.term;
  }

  get dead(): boolean {
    return this.#dead;
  }

  /** The crash: this handle dies, and the state as of now is what a restart recovers. */
  crash(): PersistedState {
    this.#dead = true;
    return this.#state();
  }

  #state(): PersistedState {
    const state = { hardState: this.#hardState, entries: [...this.#entries] };
    return this.#snapshot === undefined ? state : { ...state, snapshot: this.#snapshot };
  }
}
