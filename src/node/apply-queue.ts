/**
 * Delivers committed entries (and snapshots) to the application in index order, one at a time, each
 * delivery awaited (so a slow application applies backpressure to itself, never to Raft:
 * the ready loop only appends here and moves on).
 */
import type { LogEntry, SnapshotRecord } from '../../machines/index.js';
import type { AppliedEntry, ApplySink } from './providers.js';

type Delivery = { readonly entry: AppliedEntry } | { readonly snapshot: SnapshotRecord };

export class ApplyQueue {
  readonly #sink: ApplySink;
  #pending: Delivery[] = [];
  #lastQueued: number;
  #draining = false;
  #stopped = false;
  readonly #onError: (error: unknown) => void;

  constructor(sink: ApplySink, lastApplied: number, onError: (error: unknown) => void) {
    this.#sink = sink;
    this.#lastQueued = lastApplied;
    this.#onError = onError;
  }

  /** The highest index handed to the queue so far. */
  get lastQueued(): number {
    return this.#lastQueued;
  }

  /** Queues entries that follow `lastQueued`, copied so the application never shares the log's objects. */
  push(firstIndex: number, entries: readonly LogEntry[]): void {
    if (this.#stopped || entries.length === 0) return;
    if (firstIndex !== this.#lastQueued + 1) {
      throw new RangeError(`apply queue expected index ${this.#lastQueued + 1}, got ${firstIndex}`);
    }
    entries.forEach((entry, i) => {
      this.#pending.push({ entry: { index: firstIndex + i, term: entry.term, command: entry.command } });
    });
    this.#lastQueued = firstIndex + entries.length - 1;
    if (!this.#draining) void this.#drain();
  }

  /**
   * A snapshot newer than anything queued: queued entries it covers are dropped and it is
   * delivered next; entries after it follow. An older snapshot is ignored, so the
   * application never moves backwards.
   */
  pushSnapshot(snapshot: SnapshotRecord): void {
    if (this.#stopped || snapshot.index <= this.#lastQueued) return;
    this.#pending = [{ snapshot }];
    this.#lastQueued = snapshot.index;
    if (!this.#draining) void this.#drain();
  }

  stop(): void {
    this.#stopped = true;
    this.#pending.length = 0;
  }

  async #drain(): Promise<void> {
    this.#draining = true;
    try {
      for (let next = this.#pending.shift(); next !== undefined; next = this.#pending.shift()) {
        if (this.#stopped) return;
        if ('snapshot' in next) await this.#sink.restore(next.snapshot);
        else await this.#sink.apply(next.entry);
      }
    } catch (error) {
      this.#onError(error);
    } finally {
      this.#draining = false;
    }
  }
}
