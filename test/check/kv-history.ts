/**
 * Short builders of key/value operations for the checker's tests. An interval is
 * [call, return], or [call] for an open-ended operation (its output is then unknown).
 */
import type { KvInput, KvOutput } from '../../src/check/kv-model.js';
import type { Operation } from '../../src/check/operation.js';

export type KvOperation = Operation<KvInput, KvOutput>;
export type Interval = readonly [number, number] | readonly [number];

function operation(
  client: string | number,
  input: KvInput,
  output: KvOutput,
  [call, ret]: Interval,
): KvOperation {
  return { client, input, output: ret === undefined ? undefined : output, call, return: ret };
}

export const put = (key: string, value: string, interval: Interval, client: string | number = 0) =>
  operation(client, { kv: 'put', key, value }, { kv: 'put' }, interval);

export const append = (key: string, value: string, interval: Interval, client: string | number = 0) =>
  operation(client, { kv: 'append', key, value }, { kv: 'append' }, interval);

/** A get that read `value` (null: absent). */
export const get = (key: string, value: string | null, interval: Interval, client: string | number = 0) =>
  operation(client, { kv: 'get', key }, { kv: 'get', value }, interval);

export const del = (key: string, existed: boolean, interval: Interval, client: string | number = 0) =>
  operation(client, { kv: 'delete', key }, { kv: 'delete', existed }, interval);

/** A compare-and-set from `expected` to `value` that answered `swapped` and the value then held. */
export const cas = (
  key: string,
  expected: string | null,
  value: string,
  answer: { swapped: boolean; holds: string | null },
  interval: Interval,
  client: string | number = 0,
) =>
  operation(
    client,
    { kv: 'cas', key, expected, value },
    { kv: 'cas', swapped: answer.swapped, value: answer.holds },
    interval,
  );

/** An operation that returned at `ret` without a known answer. */
export const unanswered = (operation: KvOperation, ret: number): KvOperation => ({
  ...operation,
  output: undefined,
  return: ret,
});
