/** What an illegal verdict tells: the partition, the longest linearizable prefix, what could not follow. */
import { describe, expect, it } from 'vitest';
import { checkOperations } from '../../src/check/check-operations.js';
import { kvModel } from '../../src/check/kv-model.js';
import { append, get, put } from './kv-history.js';

describe('the explanation of an illegal history', () => {
  const history = [
    put('k', 'a', [0, 1], 'c1'),
    append('k', 'b', [2, 3], 'c2'),
    get('other', null, [0, 100], 'c3'),
    append('k', 'c', [4, 10], 'c1'),
    get('k', 'ab', [5, 6], 'c2'),
    get('k', 'zzz', [7, 8], 'c3'),
    get('k', 'abc', [11, 12], 'c2'),
    get('k', 'yyy', [6.5, 30], 'c4'),
  ];
  const result = checkOperations(kvModel, history);

  it('names the partition and gives the operations as recorded', () => {
    expect(result.verdict).toBe('illegal');
    expect(result.partition).toBe('k');
    // The append of "c" may follow the read of "ab"; then the read of "zzz" returns, and
    // neither it nor the pending read of "yyy" can take effect.
    expect(result.illegal!.linearized).toEqual([history[0], history[1], history[4], history[3]]);
    expect(result.illegal!.state).toBe('"abc"');
    expect(result.illegal!.unplaced).toEqual([history[5], history[7]]);
  });

  it('prints them with client, call and return', () => {
    const text = result.explanation!;
    expect(text).toContain('Partition "k" (7 operations) is not linearizable under the key/value model.');
    expect(text).toContain('The longest linearizable prefix found has 4 operations:');
    expect(text).toContain('1. client c1: put(k, "a")  [0, 1]');
    expect(text).toContain('3. client c2: get(k) -> "ab"  [5, 6]');
    expect(text).toContain('4. client c1: append(k, "c")  [4, 10]');
    expect(text).toContain('State after it: "abc"');
    expect(text).toMatch(
      /can take effect next[^\n]*\n +client c3: get\(k\) -> "zzz" {2}\[7, 8\]\n +client c4: get\(k\) -> "yyy" {2}\[6.500, 30\]/,
    );
    expect(text).not.toContain('other');
  });

  it('shows only the last operations of a long prefix', () => {
    const long = Array.from({ length: 50 }, (_, i) => append('k', String(i % 10), [2 * i, 2 * i + 1]));
    const expected = long
      .map((operation) => (operation.input.kv === 'append' ? operation.input.value : ''))
      .join('');
    const bad = checkOperations(kvModel, [...long, get('k', `${expected}!`, [200, 201])]);
    expect(bad.illegal!.linearized).toHaveLength(50);
    expect(bad.explanation).toContain('has 50 operations; its last 8:');
    expect(bad.explanation).toContain('   50. client 0: append(k, "9")  [98, 99]');
    expect(bad.explanation).not.toContain('   42.');
  });
});
