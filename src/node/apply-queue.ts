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
  /** The next delivery's place in #pending (a consumed prefix, dropped when it is done). */
  #head = 0;
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
      const { term, command, config } = entry;
      const index = firstIndex + i;
      this.#pending.push({
        entry: config === undefined ? { index, term, command } : { index, term, command, config },
      });
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
    this.#head = 0;
    this.#lastQueued = snapshot.index;
    if (!this.#draining) void this.#drain();
  }

  stop(): void {
    this.#stopped = true;
    this.#pending = [];
    this.#head = 0;
  }

  /**
   * Delivers in order, waiting only for deliveries that return a promise: a synchronous
   * application applies a whole batch in one go, without a microtask per entry.
   */
  async #drain(): Promise<void> {
    this.#draining = true;
    try {
      while (this.#head < this.#pending.length) {
        if (this.#stopped) return;
        const next = this.#pending[this.#head++]!;
        const done = 'snapshot' in next ? this.#sink.restore(next.snapshot) : this.#sink.apply(next.entry);
        if (done !== undefined) await done;
      }
      this.#pending = [];
      this.#head = 0;
    } catch (error) {
      this.#onError(error);
    } finally {
      this.#draining = false;
    }
  }
}
