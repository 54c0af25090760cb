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
 * Open operations are tried last: the walk up to a return first tries the calls that
 * returned, and only then walks again trying the open ones. Each candidate is still tried,
 * so the search is as complete, but a timed-out write that never took effect (the common
 * case) is not linearized at its call and then backtracked over. An open operation with an
 * effectBy time has an expiry entry there: reached with the operation still out, the walk
 * drops it (it never took effect, in this branch), a forced move that backtracking undoes.
 *
 * The search is resumable: run(deadline) works until the deadline and returns 'paused', so
 * the caller can share one time budget among partitions. The hot loop allocates nothing
 * except what the model's step does and what the memo table grows by.
 */
import { CALL, EXPIRY, EntryList } from './entry-list.js';
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
  /** Internal operation number -> index in the operations given; the returned ones come first. */
  readonly #order: Int32Array;
  readonly #returned: number;
  readonly #list: EntryList;
  readonly #set: LinearizedSet;
  readonly #memo: MemoTable<S>;
  /** Per level: the call entry linearized, or ~entry for an open operation dropped; and the state before. */
  readonly #stackEntry: Int32Array;
  readonly #stackState: (S | undefined)[];
  #depth = 0;
  #entry: number;
  #state: S;
  /** Operations that returned and are not linearized yet. */
  #pendingReturned: number;
  #steps = 0;
  /** Whether the walk is trying open operations (second) or those that returned (first). */
  #openPass = false;
  /** Whether the walk may have passed an open call (so the second walk is worth it). */
  #sawOpen = false;
  readonly #hasOpen: boolean;
  #result: SearchProgress = 'paused';
  #best: { stack: Int32Array; state: S; blockedEntry: number } | undefined;

  constructor(model: Model<S, I, O>, operations: readonly Operation<I, O>[]) {
    this.#model = model;
    const returned: number[] = [];
    const open: number[] = [];
    operations.forEach((operation, i) => (operation.return === undefined ? open : returned).push(i));
    const byCall = (a: number, b: number) => operations[a]!.call - operations[b]!.call || a - b;
    returned.sort(byCall);
    open.sort(byCall);
    this.#order = Int32Array.from([...returned, ...open]);
    this.#returned = returned.length;
    this.#hasOpen = open.length > 0;
    const ordered = Array.from(this.#order, (i) => operations[i]!);
    this.#inputs = ordered.map((operation) => operation.input);
    this.#outputs = ordered.map((operation) => operation.output);
    this.#list = new EntryList(
      ordered.map((operation) => operation.call),
      ordered.map((operation) => operation.return ?? operation.effectBy),
      ordered.map((operation) => operation.return === undefined),
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
    const list = this.#list;
    const { next, op: opOf, match, kind } = list;
    const set = this.#set;
    const memo = this.#memo;
    const stackEntry = this.#stackEntry;
    const stackState = this.#stackState;
    const returned = this.#returned;
    const hash = model.hash;
    let depth = this.#depth;
    let entry = this.#entry;
    let state = this.#state;
    let pendingReturned = this.#pendingReturned;
    let steps = this.#steps;
    let openPass = this.#openPass;
    let sawOpen = this.#sawOpen;
    const hasOpen = this.#hasOpen;
    let result: SearchProgress = 'paused';

    while (pendingReturned > 0) {
      if (++steps % CLOCK_EVERY === 0 && now() >= deadline) break;
      const entryKind = kind[entry];
      if (entryKind === CALL) {
        const op = opOf[entry]!;
        const open = op >= returned;
        if (open === openPass) {
          const after = model.step(state, inputs[op]!, outputs[op]);
          // An open operation that changes nothing need never be linearized: skip it.
          if (after !== ILLEGAL && !(open && model.equal(after, state))) {
            set.add(op);
            const key = hash === undefined ? set.hash : set.hash ^ mix32(hash.call(model, after));
            if (memo.add(set, key, after)) {
              stackEntry[depth] = entry;
              stackState[depth] = state;
              depth++;
              state = after;
              list.lift(entry);
              if (!open) pendingReturned--;
              entry = next[EntryList.HEAD]!;
              openPass = false;
              sawOpen = false;
              continue;
            }
            set.remove(op);
          }
        } else if (open) sawOpen = true;
        entry = next[entry]!;
        continue;
      }
      if (!openPass && sawOpen) {
        // Nothing that returned can go next: now try the open operations called by here.
        openPass = true;
        entry = next[EntryList.HEAD]!;
        continue;
      }
      if (entryKind === EXPIRY) {
        // Past its effectBy time, still out: it never took effect (on this branch).
        const call = match[entry]!;
        set.add(opOf[call]!);
        list.lift(call);
        stackEntry[depth] = ~call;
        stackState[depth] = state;
        depth++;
        entry = next[EntryList.HEAD]!;
        openPass = false;
        sawOpen = false;
        continue;
      }
      // A return whose call is not linearized: undo the last choice, or fail.
      if (this.#best === undefined || depth > this.#best.stack.length) {
        this.#best = { stack: stackEntry.slice(0, depth), state, blockedEntry: entry };
      }
      let resumed = false;
      while (depth > 0) {
        depth--;
        const frame = stackEntry[depth]!;
        const call = frame < 0 ? ~frame : frame;
        const op = opOf[call]!;
        state = stackState[depth]!;
        stackState[depth] = undefined;
        set.remove(op);
        list.unlift(call);
        // A drop was the only move left where it was made: keep undoing.
        if (frame < 0) continue;
        openPass = op >= returned;
        if (!openPass) pendingReturned++;
        sawOpen = hasOpen;
        entry = next[call]!;
        resumed = true;
        break;
      }
      if (!resumed) {
        result = 'illegal';
        break;
      }
    }
    if (pendingReturned === 0) result = 'ok';
    this.#depth = depth;
    this.#entry = entry;
    this.#state = state;
    this.#pendingReturned = pendingReturned;
    this.#steps = steps;
    this.#openPass = openPass;
    this.#sawOpen = sawOpen;
    this.#result = result;
    return result;
  }

  /** After 'illegal': how far the search got. */
  failure(): SearchFailure<S> | undefined {
    if (this.#result !== 'illegal' || this.#best === undefined) return undefined;
    const { stack, state, blockedEntry } = this.#best;
    const list = this.#list;
    const linearized = Array.from(stack).filter((frame) => frame >= 0);
    return {
      prefix: linearized.map((entry) => this.#order[list.op[entry]!]!),
      state,
      blocked: this.#order[list.op[blockedEntry]!]!,
    };
  }
}
