/**
 * The search against a brute-force reference on thousands of small random histories, legal
 * and not: every order of the operations that respects real time (an operation that returned
 * before another was called comes first; an open one may come anywhere after its call, or
 * not at all). Random answers drawn from few values make both verdicts common.
 */
import { describe, expect, it } from 'vitest';
import { checkOperations } from '../../src/check/check-operations.js';
import type { KvInput, KvOutput, KvState } from '../../src/check/kv-model.js';
import { kvModel } from '../../src/check/kv-model.js';
import { ILLEGAL } from '../../src/check/model.js';
import { SeededRandom } from '../../src/sim/seeded-random.js';
import type { KvOperation } from './kv-history.js';

/** Whether some real-time-respecting order of `history` is legal (exponential: keep it small). */
function bruteForce(history: readonly KvOperation[]): boolean {
  const done = new Array<boolean>(history.length).fill(false);
  const search = (state: KvState, left: number): boolean => {
    if (left === 0) return true;
    for (const [i, operation] of history.entries()) {
      if (done[i]) continue;
      // Another pending operation that returned before this one was called must go first.
      const blocked = history.some(
        (other, j) => !done[j] && j !== i && other.return !== undefined && other.return < operation.call,
      );
      if (blocked) continue;
      const after = kvModel.step(state, operation.input, operation.output);
      if (after === ILLEGAL) continue;
      done[i] = true;
      const ok = search(after, left - (operation.return === undefined ? 0 : 1));
      done[i] = false;
      if (ok) return true;
    }
    return false;
  };
  return search(kvModel.init(), history.filter((operation) => operation.return !== undefined).length);
}

function randomHistory(random: SeededRandom, size: number): KvOperation[] {
  const values = ['a', 'b', 'ab', 'ba'];
  const value = () => random.pick(values);
  const maybe = () => (random.chance(1, 4) ? null : value());
  return Array.from({ length: size }, (_, client) => {
    const call = random.int(20);
    const open = random.chance(1, 6);
    const ret = open ? undefined : call + random.int(8);
    const [input, output]: [KvInput, KvOutput] = random.pick([
      (): [KvInput, KvOutput] => [
        { kv: 'get', key: 'k' },
        { kv: 'get', value: maybe() },
      ],
      (): [KvInput, KvOutput] => [{ kv: 'put', key: 'k', value: value() }, { kv: 'put' }],
      (): [KvInput, KvOutput] => [
        { kv: 'append', key: 'k', value: random.pick(['a', 'b']) },
        { kv: 'append' },
      ],
      (): [KvInput, KvOutput] => [
        { kv: 'delete', key: 'k' },
        { kv: 'delete', existed: random.chance(1, 2) },
      ],
      (): [KvInput, KvOutput] => {
        const swapped = random.chance(1, 2);
        const next = value();
        return [
          { kv: 'cas', key: 'k', expected: maybe(), value: next },
          { kv: 'cas', swapped, value: swapped ? next : maybe() },
        ];
      },
    ])();
    return { client, input, output: open ? undefined : output, call, return: ret };
  });
}

describe('the search agrees with brute force', () => {
  it('on 3000 random single-key histories of up to 7 operations', () => {
    const random = new SeededRandom(13, 'brute-force');
    const verdicts = { ok: 0, illegal: 0 };
    for (let round = 0; round < 3000; round++) {
      const history = randomHistory(random, 1 + random.int(6));
      const expected = bruteForce(history) ? 'ok' : 'illegal';
      const { verdict } = checkOperations(kvModel, history);
      if (verdict !== expected) {
        throw new Error(
          `round ${round}: search says ${verdict}, brute force ${expected}:\n${JSON.stringify(history)}`,
        );
      }
      verdicts[expected]++;
    }
    // Both verdicts are well represented, so the agreement means something.
    expect(verdicts.ok).toBeGreaterThan(300);
    expect(verdicts.illegal).toBeGreaterThan(300);
  });
});
