/** The fault test's durability check finds each kind of damage, and passes what is whole. */
import { describe, expect, it } from 'vitest';
import type { AppendRecord } from './kv-faults-appends.js';
import type { KvInput, KvOutput, Operation } from '../../src/check/index.js';
import { appendProblems, appendToken, settleOpenOperations } from './kv-faults-appends.js';

const appends: AppendRecord[] = [
  { key: 'a', client: '0-0', n: 1, outcome: 'acknowledged' },
  { key: 'a', client: '1-0', n: 1, outcome: 'acknowledged' },
  { key: 'a', client: '0-0', n: 2, outcome: 'unknown' },
  { key: 'a', client: '0-0', n: 3, outcome: 'acknowledged' },
  { key: 'a', client: '1-0', n: 2, outcome: 'refused' },
  { key: 'b', client: '1-0', n: 3, outcome: 'unknown' },
];
const t = appendToken;
const finals = (a: string, b: string | null = null) =>
  new Map([
    ['a', a],
    ['b', b],
  ]);

describe('appendProblems', () => {
  it('passes every acknowledged append once in client order, an unknown one present or not', () => {
    expect(appendProblems(finals(t('0-0', 1) + t('1-0', 1) + t('0-0', 2) + t('0-0', 3)), appends)).toEqual(
      [],
    );
    expect(appendProblems(finals(t('1-0', 1) + t('0-0', 1) + t('0-0', 3), t('1-0', 3)), appends)).toEqual([]);
  });

  it('finds a lost, a duplicated, a reordered, a refused and a foreign append, and a key not read', () => {
    expect(appendProblems(finals(t('0-0', 1) + t('0-0', 3)), appends)).toEqual([
      'key a: acknowledged append c1-0.1; is missing',
    ]);
    expect(appendProblems(finals(t('0-0', 1) + t('1-0', 1) + t('0-0', 3) + t('0-0', 3)), appends)).toEqual([
      'key a: c0-0.3; is present 2 times (applied more than once)',
    ]);
    expect(appendProblems(finals(t('1-0', 1) + t('0-0', 3) + t('0-0', 1)), appends)).toEqual([
      "key a: client 0-0's append 1 comes after its append 3 (position 2)",
    ]);
    expect(appendProblems(finals(t('0-0', 1) + t('1-0', 1) + t('1-0', 2) + t('0-0', 3)), appends)).toEqual([
      'key a: c1-0.2; is present though the client was told no node proposed it',
    ]);
    expect(appendProblems(finals(t('0-0', 1) + t('1-0', 1) + t('0-0', 3), t('1-0', 4)), appends)).toEqual([
      'key b: "c1-0.4;" at position 0 was never appended to it',
    ]);
    expect(appendProblems(new Map([['a', t('0-0', 1) + t('1-0', 1) + t('0-0', 3)]]), appends)).toEqual([
      'key b was not read back',
    ]);
  });
});

describe('settleOpenOperations', () => {
  const op = (input: KvInput, output?: KvOutput): Operation<KvInput, KvOutput> => ({
    client: 0,
    input,
    output,
    call: 1,
    return: output === undefined ? undefined : 2,
  });

  it('leaves out open reads and open appends missing from the final value, and keeps the rest', () => {
    const history = [
      op({ kv: 'append', key: 'a', value: 'x;' }, { kv: 'append' }),
      op({ kv: 'append', key: 'a', value: 'y;' }), // open, present: may have taken effect
      op({ kv: 'append', key: 'a', value: 'z;' }), // open, missing: never took effect
      op({ kv: 'get', key: 'a' }), // open read
      op({ kv: 'get', key: 'a' }, { kv: 'get', value: 'x;y;' }),
      op({ kv: 'put', key: 'r', value: 'v' }), // open, on a register key: unknown
    ];
    const settled = settleOpenOperations(history, new Map([['a', 'x;y;']]), ['a']);
    expect(settled.history).toEqual([history[0], history[1], history[4], history[5]]);
    expect(settled).toMatchObject({ openReads: 1, unappliedAppends: 1 });
  });

  it('refuses a history that writes an append-only key otherwise', () => {
    const history = [op({ kv: 'put', key: 'a', value: 'x;' }, { kv: 'put' })];
    expect(() => settleOpenOperations(history, new Map([['a', 'x;']]), ['a'])).toThrow(/append-only key a/);
  });
});
