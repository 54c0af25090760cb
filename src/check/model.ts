/**
 * A sequential specification that histories are checked against: the state an object starts
 * in and how each operation changes it. The search calls `step` millions of times, so it
 * answers with the next state or the ILLEGAL sentinel rather than a fresh result object.
 */

/** What `step` returns when the operation cannot have answered `output` in `state`. */
export const ILLEGAL: unique symbol = Symbol('raftchart.check.illegal');
export type Illegal = typeof ILLEGAL;

export interface Model<S, I, O> {
  /** Shown in explanations, e.g. "key/value". */
  readonly name: string;
  /** The state before any operation. */
  init(): S;
  /**
   * The state after `input` takes effect in `state` answering `output`, or ILLEGAL if it
   * could not have answered that. `output` undefined: the answer is unknown (an open-ended
   * operation), so any answer is allowed. Must not change `state`: the search keeps it.
   */
  step(state: S, input: I, output: O | undefined): S | Illegal;
  /** Whether two states are the same; the search prunes a (linearized set, state) it has seen. */
  equal(a: S, b: S): boolean;
  /** A 32-bit hash agreeing with `equal`; cheap to compute (called on every step). Without it every state hashes alike. */
  hash?(state: S): number;
  /**
   * The independent part of the object an operation touches (a key): each partition is
   * checked on its own, which keeps the search small. Without it the history is one partition.
   */
  partition?(input: I): string;
  /** One line for an operation in an explanation, e.g. `get(k) -> "v"`. */
  describeOperation?(input: I, output: O | undefined): string;
  /** One line for a state in an explanation. */
  describeState?(state: S): string;
}
