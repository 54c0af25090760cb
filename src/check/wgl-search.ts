/**
 * The Wing & Gong / Lowe search over one partition's history, as porcupine runs it.
 *
 * Walk the entry list from its head. At a call entry, try to linearize the operation now:
 * if its step is legal and the (linearized set, state) it leads to is new, take it (lift it
 * out of the list, push it) and start again from the head. At a return entry, the operation
 * returned without having been linearized, so the last choice was wrong: pop it, put it back
 * and try the entry after it. The history is linearizable once every operation that returned
 * is linearized (open ones may stay out: they never took effect); it is not once a return is
 * met with nothing left to pop.
 *
 * The search is resumable: run(deadline) works until the deadline and returns 'paused', so
 * the caller can share one time budget among partitions. The hot loop allocates nothing
 * except what the model's step does and what the memo table grows by.
 */
import { EntryList } from './entry-list.js';
import { LinearizedSet, mix32 } from './linearized-set.js';
import { MemoTable } from './memo-table.js';
import type { Model } from './model.js';
import { ILLEGAL } from './model.js';
import type { Operation } from './operation.js';

export type SearchProgress = 'ok' | 'illegal' | 'paused';

/** Where the search got furthest before it gave up, in the indices of the operations given. */
export interface SearchFailure<S> {
  /** The longest linearization found, in order. */
  readonly prefix: readonly number[];
  /** The state after it. */
  readonly state: S;
  /** The operation whose return the search could not get past. */
  readonly blocked: number;
}

/** Steps between two looks at the clock. */
const CLOCK_EVERY = 1024;

export class WglSearch<S, I, O> {
  readonly #model: Model<S, I, O>;
  readonly #inputs: I[];
  readonly #outputs: (O | undefined)[];
  /** Internal operation number -> index in the operations given. */
  readonly #order: Int32Array;
  readonly #list: EntryList;
  readonly #set: LinearizedSet;
  readonly #memo: MemoTable<S>;
  /** Call entries pushed, and the state before each. */
  readonly #stackEntry: Int32Array;
  readonly #stackState: (S | undefined)[];
  #depth = 0;
  #entry: number;
  #state: S;
  /** Operations that returned and are not linearized yet. */
  #pendingReturned: number;
  #steps = 0;
  #result: SearchProgress = 'paused';
  #best: { prefix: Int32Array; state: S; blockedEntry: number } | undefined;

  constructor(model: Model<S, I, O>, operations: readonly Operation<I, O>[]) {
    this.#model = model;
    const returned: number[] = [];
    const open: number[] = [];
    operations.forEach((operation, i) => (operation.return === undefined ? open : returned).push(i));
    const byCall = (a: number, b: number) => operations[a]!.call - operations[b]!.call || a - b;
    returned.sort(byCall);
    open.sort(byCall);
    this.#order = Int32Array.from([...returned, ...open]);
    const ordered = Array.from(this.#order, (i) => operations[i]!);
    this.#inputs = ordered.map((operation) => operation.input);
    this.#outputs = ordered.map((operation) => operation.output);
    this.#list = new EntryList(
      ordered.map((operation) => operation.call),
      ordered.map((operation) => operation.return),
    );
    this.#set = new LinearizedSet(returned.length, open.length);
    this.#memo = new MemoTable((a, b) => model.equal(a, b));
    this.#stackEntry = new Int32Array(operations.length);
    this.#stackState = new Array<S | undefined>(operations.length).fill(undefined);
    this.#entry = this.#list.next[EntryList.HEAD]!;
    this.#state = model.init();
    this.#pendingReturned = returned.length;
    if (this.#pendingReturned === 0) this.#result = 'ok';
  }

  /** Search steps taken so far (each is one entry visited). */
  get steps(): number {
    return this.#steps;
  }

  /** (linearized set, state) pairs reached so far. */
  get memoSize(): number {
    return this.#memo.size;
  }

  /** Searches until done or until `now()` passes `deadline` (looked at every 1024 steps). */
  run(deadline: number, now: () => number): SearchProgress {
    if (this.#result !== 'paused') return this.#result;
    const model = this.#model;
    const inputs = this.#inputs;
    const outputs = this.#outputs;
    const { next, op: opOf, match, isCall } = this.#list;
    const list = this.#list;
    const set = this.#set;
    const memo = this.#memo;
    const stackEntry = this.#stackEntry;
    const stackState = this.#stackState;
    const hash = model.hash;
    let depth = this.#depth;
    let entry = this.#entry;
    let state = this.#state;
    let pendingReturned = this.#pendingReturned;
    let steps = this.#steps;
    let result: SearchProgress = 'paused';

    while (pendingReturned > 0) {
      if (++steps % CLOCK_EVERY === 0 && now() >= deadline) break;
      if (isCall[entry] === 1) {
        const op = opOf[entry]!;
        const after = model.step(state, inputs[op]!, outputs[op]);
        // An open operation that changes nothing need never be linearized: skip it.
        if (after !== ILLEGAL && (match[entry]! >= 0 || !model.equal(after, state))) {
          set.add(op);
          const key = hash === undefined ? set.hash : set.hash ^ mix32(hash.call(model, after));
          if (memo.add(set, key, after)) {
            stackEntry[depth] = entry;
            stackState[depth] = state;
            depth++;
            state = after;
            list.lift(entry);
            if (match[entry]! >= 0) pendingReturned--;
            entry = next[EntryList.HEAD]!;
            continue;
          }
          set.remove(op);
        }
        entry = next[entry]!;
      } else {
        // A return whose call is not linearized: undo the last choice, or fail.
        if (this.#best === undefined || depth > this.#best.prefix.length) {
          this.#best = { prefix: stackEntry.slice(0, depth), state, blockedEntry: entry };
        }
        if (depth === 0) {
          result = 'illegal';
          break;
        }
        depth--;
        const call = stackEntry[depth]!;
        state = stackState[depth]!;
        stackState[depth] = undefined;
        set.remove(opOf[call]!);
        list.unlift(call);
        if (match[call]! >= 0) pendingReturned++;
        entry = next[call]!;
      }
    }
    if (pendingReturned === 0) result = 'ok';
    this.#depth = depth;
    this.#entry = entry;
    this.#state = state;
    this.#pendingReturned = pendingReturned;
    this.#steps = steps;
    this.#result = result;
    return result;
  }

  /** After 'illegal': how far the search got. */
  failure(): SearchFailure<S> | undefined {
    if (this.#result !== 'illegal' || this.#best === undefined) return undefined;
    const { prefix, state, blockedEntry } = this.#best;
    const list = this.#list;
    return {
      prefix: Array.from(prefix, (entry) => this.#order[list.op[entry]!]!),
      state,
      blocked: this.#order[list.op[blockedEntry]!]!,
    };
  }
}
