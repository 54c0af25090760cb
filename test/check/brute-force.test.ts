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

/**
 * Whether some real-time-respecting order of `history` is legal. Exponential; `memo` (keyed
 * by the done set as text and the state) makes longer histories of low concurrency feasible.
 */
function bruteForce(history: readonly KvOperation[], memo?: Set<string>): boolean {
  const done = new Array<boolean>(history.length).fill(false);
  // The latest call among the operations placed: an open operation with effectBy before it can no longer go.
  const search = (state: KvState, left: number, latestCall: number): boolean => {
    if (left === 0) return true;
    if (memo !== undefined) {
      const key = `${done.map((d) => (d ? 1 : 0)).join('')}:${JSON.stringify(state)}`;
      if (memo.has(key)) return false;
      memo.add(key);
    }
    for (const [i, operation] of history.entries()) {
      if (done[i]) continue;
      // Another pending operation that returned before this one was called must go first.
      const blocked = history.some(
        (other, j) => !done[j] && j !== i && other.return !== undefined && other.return < operation.call,
      );
      if (blocked) continue;
      if (operation.effectBy !== undefined && operation.effectBy < latestCall) continue;
      const after = kvModel.step(state, operation.input, operation.output);
      if (after === ILLEGAL) continue;
      done[i] = true;
      const ok = search(
        after,
        left - (operation.return === undefined ? 0 : 1),
        Math.max(latestCall, operation.call),
      );
      done[i] = false;
      if (ok) return true;
    }
    return false;
  };
  return search(
    kvModel.init(),
    history.filter((operation) => operation.return !== undefined).length,
    -Infinity,
  );
}

/**
 * `size` operations called within `span`, each lasting up to `length`; one in `openOneIn`
 * open, half of those with an effectBy time.
 */
function randomHistory(
  random: SeededRandom,
  size: number,
  span = 20,
  length = 8,
  openOneIn = 6,
): KvOperation[] {
  const values = ['a', 'b', 'ab', 'ba'];
  const value = () => random.pick(values);
  const maybe = () => (random.chance(1, 4) ? null : value());
  return Array.from({ length: size }, (_, client) => {
    const call = random.int(span);
    const open = random.chance(1, openOneIn);
    const ret = open ? undefined : call + random.int(length);
    const effectBy = open && random.chance(1, 2) ? { effectBy: call + random.int(length) } : {};
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
    return { client, input, output: open ? undefined : output, call, return: ret, ...effectBy };
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

  it('on 300 longer histories of 33 to 100 operations (several words of linearized set)', () => {
    const random = new SeededRandom(14, 'brute-force-long');
    const verdicts = { ok: 0, illegal: 0 };
    for (let round = 0; round < 300; round++) {
      const size = 33 + random.int(67);
      // Mostly sequential with short overlaps; answers taken from a legal run, one in 40 changed.
      const history = randomHistory(random, size, size * 3, 6, 15);
      const legal = legalize(history, random);
      const expected = bruteForce(legal, new Set()) ? 'ok' : 'illegal';
      const { verdict } = checkOperations(kvModel, legal);
      if (verdict !== expected) {
        throw new Error(
          `round ${round}: search says ${verdict}, brute force ${expected}:\n${JSON.stringify(legal)}`,
        );
      }
      verdicts[expected]++;
    }
    expect(verdicts.ok).toBeGreaterThan(30);
    expect(verdicts.illegal).toBeGreaterThan(30);
  });
});

/**
 * The answers a run in call order would give (so most of a long history is legal, and the
 * search goes deep), with one answer in 40 replaced by a random one.
 */
function legalize(history: readonly KvOperation[], random: SeededRandom): KvOperation[] {
  let state: KvState = null;
  return [...history]
    .sort((a, b) => a.call - b.call)
    .map((operation) => {
      const output = answer(state, operation.input);
      const after = kvModel.step(state, operation.input, output);
      if (after !== ILLEGAL) state = after;
      if (operation.return === undefined) return operation;
      return { ...operation, output: random.chance(1, 40) ? operation.output : output };
    });
}

function answer(state: KvState, input: KvInput): KvOutput {
  switch (input.kv) {
    case 'get':
      return { kv: 'get', value: state };
    case 'put':
    case 'append':
      return { kv: input.kv };
    case 'delete':
      return { kv: 'delete', existed: state !== null };
    case 'cas': {
      const swapped = state === input.expected;
      return { kv: 'cas', swapped, value: swapped ? input.value : state };
    }
  }
}
