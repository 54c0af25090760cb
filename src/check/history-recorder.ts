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

export interface HistoryRecorderOptions<I> {
  /** The clock (default performance.now()); one clock for the whole history. */
  readonly now?: () => number;
  /**
   * The calls that supersede their client's earlier ones. With sessions, a service refuses a
   * client's older request as stale once a newer one took effect (KvStore does so for each
   * KvClient's writes), so when such a call returns, the client's earlier open calls get that
   * time as effectBy: they took effect by then or never will, which keeps the check fast.
   * For KvClient calls checked with kvModel: `supersedes: isKvWrite`. Default: none.
   * Only sound if each recorded client is one session: a client that starts over with a new
   * session (a fresh KvClient after a crash) must record under a new name.
   */
  readonly supersedes?: (input: I) => boolean;
}

interface Entry<I, O> {
  readonly client: string | number;
  readonly input: I;
  readonly call: number;
  output: O | undefined;
  return: number | undefined;
  effectBy: number | undefined;
  finished: 'ok' | 'open' | undefined;
}

export class HistoryRecorder<I, O> {
  readonly #now: () => number;
  readonly #supersedes: ((input: I) => boolean) | undefined;
  readonly #entries: Entry<I, O>[] = [];
  /** Per client, the entries not returned and not yet bounded by a superseding call. */
  readonly #unbounded = new Map<string | number, Entry<I, O>[]>();

  constructor(options: HistoryRecorderOptions<I> = {}) {
    this.#now = options.now ?? (() => performance.now());
    this.#supersedes = options.supersedes;
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
      effectBy: undefined,
      finished: undefined,
    };
    this.#entries.push(entry);
    const earlier = this.#unbounded.get(client) ?? [];
    this.#unbounded.set(client, [...earlier, entry]);
    const finish = (how: 'ok' | 'open', output: O | undefined) => {
      if (entry.finished !== undefined) throw new OperationFinishedError(index, client, entry.finished);
      entry.finished = how;
      if (how === 'open') return;
      entry.output = output;
      entry.return = this.#now();
      const unbounded = this.#unbounded.get(client)!;
      if (this.#supersedes?.(input) !== true) {
        this.#unbounded.set(
          client,
          unbounded.filter((other) => other !== entry),
        );
        return;
      }
      // Everything of this client begun before it can no longer take effect from now on.
      const kept = unbounded.filter((other) => {
        if (other === entry) return false;
        if (other.call > entry.call) return true;
        other.effectBy = entry.return;
        return false;
      });
      this.#unbounded.set(client, kept);
    };
    const ok = (output: O) => finish('ok', output);
    return Object.assign(ok, { ok, open: () => finish('open', undefined) });
  }

  /** The history so far, in call order; an operation not finished yet is open. */
  operations(): Operation<I, O>[] {
    return this.#entries.map(({ client, input, output, call, return: ret, effectBy }) => ({
      client,
      input,
      output,
      call,
      return: ret,
      ...(ret === undefined && effectBy !== undefined ? { effectBy } : {}),
    }));
  }
}
