/**
 * Records a history to check: wrap each client call in begin() and finish it with the
 * answer, or as open when it timed out or its client crashed. Time comes from `now`, so a
 * simulated test records virtual time and a real one performance.now().
 */
import { OperationFinishedError } from './check-errors.js';
import type { Operation } from './operation.js';

/** The handle of a begun operation: call it (or ok) with the answer, or open() if none came. */
export interface PendingOperation<O> {
  (output: O): void;
  ok(output: O): void;
  /** No answer will be recorded: the operation may have taken effect after its call, or never. */
  open(): void;
}

export interface HistoryRecorderOptions {
  /** The clock (default performance.now()); one clock for the whole history. */
  readonly now?: () => number;
}

interface Entry<I, O> {
  readonly client: string | number;
  readonly input: I;
  readonly call: number;
  output: O | undefined;
  return: number | undefined;
  finished: 'ok' | 'open' | undefined;
}

export class HistoryRecorder<I, O> {
  readonly #now: () => number;
  readonly #entries: Entry<I, O>[] = [];

  constructor(options: HistoryRecorderOptions = {}) {
    this.#now = options.now ?? (() => performance.now());
  }

  /** Operations begun so far. */
  get size(): number {
    return this.#entries.length;
  }

  /** Notes that `client` calls with `input` now; finish the handle when the answer comes. */
  begin(client: string | number, input: I): PendingOperation<O> {
    const index = this.#entries.length;
    const entry: Entry<I, O> = {
      client,
      input,
      call: this.#now(),
      output: undefined,
      return: undefined,
      finished: undefined,
    };
    this.#entries.push(entry);
    const finish = (how: 'ok' | 'open', output: O | undefined) => {
      if (entry.finished !== undefined) throw new OperationFinishedError(index, client, entry.finished);
      entry.finished = how;
      if (how === 'ok') {
        entry.output = output;
        entry.return = this.#now();
      }
    };
    const ok = (output: O) => finish('ok', output);
    return Object.assign(ok, { ok, open: () => finish('open', undefined) });
  }

  /** The history so far, in call order; an operation not finished yet is open. */
  operations(): Operation<I, O>[] {
    return this.#entries.map(({ client, input, output, call, return: ret }) => ({
      client,
      input,
      output,
      call,
      return: ret,
    }));
  }
}
