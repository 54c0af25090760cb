/**
 * A single register holding a number, initially 0: the smallest model, for sanity checks of
 * the search and as an example of writing a model for your own object.
 */
import type { Model } from './model.js';
import { ILLEGAL } from './model.js';

export type RegisterInput = { readonly op: 'write'; readonly value: number } | { readonly op: 'read' };
/** A read's value; null for a write (its acknowledgement). */
export type RegisterOutput = number | null;

export const registerModel: Model<number, RegisterInput, RegisterOutput> = {
  name: 'register',
  init: () => 0,
  step: (state, input, output) =>
    input.op === 'write' ? input.value : output === undefined || output === state ? state : ILLEGAL,
  equal: (a, b) => a === b,
  hash: (state) => state | 0,
  describeOperation: (input, output) =>
    input.op === 'write'
      ? `write(${input.value})`
      : `read() -> ${output === undefined ? '?' : String(output)}`,
  describeState: (state) => String(state),
};
