/**
 * Delivers committed entries to the application in index order, one at a time, each
 * delivery awaited (so a slow application applies backpressure to itself, never to Raft:
 * the ready loop only appends here and moves on).
 */
import type { LogEntry } from '../../machines/index.js';
import type { AppliedEntry, ApplySink } from './providers.js';

export class ApplyQueue {
  readonly #sink: ApplySink;
  readonly #pending: AppliedEntry[] = [];
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
      this.#pending.push({ index: firstIndex + i, term: entry.term, command: entry.command });
    });
    this.#lastQueued = firstIndex + entries.length - 1;
    if (!this.#draining) void this.#drain();
  }

  stop(): void {
    this.#stopped = true;
    this.#pending.length = 0;
  }

  async #drain(): Promise<void> {
    this.#draining = true;
    try {
      for (
        let next = this.#pending.shift();
        next !== undefined && !this.#stopped;
        next = this.#pending.shift()
      ) {
        await this.#sink.apply(next);
      }
    } catch (error) {
      this.#onError(error);
    } finally {
      this.#draining = false;
    }
  }
}
