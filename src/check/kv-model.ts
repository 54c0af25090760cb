/**
 * The key/value service's sequential specification (src/kv): one string or nothing per key,
 * keys independent, so histories are checked per key. Inputs are the service's commands
 * without their session, outputs its results of applied commands.
 */
import type { KvCommand, KvOp, KvResultOf } from '../kv/kv-command.js';
import type { Model } from './model.js';
import { ILLEGAL } from './model.js';

type WithoutSession<C> = C extends unknown ? Omit<C, 'session'> : never;

/** A key/value command as a client issued it (a KvCommand with a session is one too). */
export type KvInput = WithoutSession<KvCommand>;
/** What an applied command answered: get -> value, delete -> existed, cas -> swapped and the value now held. */
export type KvOutput = KvResultOf<KvOp>;
/** One key's value; null: absent. */
export type KvState = string | null;

export const kvModel: Model<KvState, KvInput, KvOutput> = {
  name: 'key/value',
  init: () => null,
  step(state, input, output) {
    switch (input.kv) {
      case 'get':
        if (output === undefined) return state;
        return output.kv === 'get' && output.value === state ? state : ILLEGAL;
      case 'put':
        return output === undefined || output.kv === 'put' ? input.value : ILLEGAL;
      case 'append':
        if (output !== undefined && output.kv !== 'append') return ILLEGAL;
        return state === null ? input.value : state + input.value;
      case 'delete':
        if (output === undefined) return null;
        return output.kv === 'delete' && output.existed === (state !== null) ? null : ILLEGAL;
      case 'cas': {
        const swapped = state === input.expected;
        const after = swapped ? input.value : state;
        if (output === undefined) return after;
        return output.kv === 'cas' && output.swapped === swapped && output.value === after ? after : ILLEGAL;
      }
    }
  },
  equal: (a, b) => a === b,
  // The length only: reading characters would flatten the long strings appends build.
  hash: (state) => (state === null ? -1 : state.length),
  partition: (input) => input.key,
  describeOperation(input, output) {
    const key = input.key;
    switch (input.kv) {
      case 'get':
        return `get(${key}) -> ${output === undefined ? '?' : output.kv === 'get' ? text(output.value) : wrong(output)}`;
      case 'put':
      case 'append':
        return `${input.kv}(${key}, ${text(input.value)})${output === undefined || output.kv === input.kv ? '' : ` -> ${wrong(output)}`}`;
      case 'delete':
        return `delete(${key}) -> ${
          output === undefined
            ? '?'
            : output.kv === 'delete'
              ? output.existed
                ? 'existed'
                : 'was absent'
              : wrong(output)
        }`;
      case 'cas':
        return `cas(${key}, ${text(input.expected)} => ${text(input.value)}) -> ${
          output === undefined
            ? '?'
            : output.kv === 'cas'
              ? `${output.swapped ? 'swapped' : 'not swapped'}, holds ${text(output.value)}`
              : wrong(output)
        }`;
    }
  },
  describeState: (state) => text(state),
};

/**
 * Whether a command goes through the log with its session (all but get), so that once it
 * took effect the client's older requests are stale: HistoryRecorder's `supersedes` for
 * KvClient histories. (A get is read through ReadIndex and leaves the session table alone.)
 */
export function isKvWrite(input: KvInput): boolean {
  return input.kv !== 'get';
}

/** A value for an explanation: quoted, the middle of a long one cut out; null: absent. */
function text(value: string | null): string {
  if (value === null) return 'absent';
  if (value.length <= 60) return JSON.stringify(value);
  return `${JSON.stringify(value.slice(0, 16))}...${JSON.stringify(value.slice(-36))} (${value.length} chars)`;
}

function wrong(output: KvOutput): string {
  return `${JSON.stringify(output)} (an answer of the wrong kind)`;
}
