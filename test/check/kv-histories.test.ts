/**
 * Known key/value histories, linearizable or not: stale reads, lost writes, reads of values
 * never written, appends in possible and impossible orders, cas and delete, and histories
 * whose first greedy choice is wrong so the search must backtrack.
 */
import { describe, expect, it } from 'vitest';
import { checkOperations } from '../../src/check/check-operations.js';
import { kvModel } from '../../src/check/kv-model.js';
import type { KvOperation } from './kv-history.js';
import { append, cas, del, get, put, unanswered } from './kv-history.js';

const verdict = (history: readonly KvOperation[]) => checkOperations(kvModel, history).verdict;

describe('linearizable key/value histories', () => {
  it('an empty history', () => {
    expect(checkOperations(kvModel, [])).toMatchObject({ verdict: 'ok', operations: 0, partitions: 0 });
  });

  it('sequential calls that each see the one before', () => {
    const history = [
      get('x', null, [0, 1]),
      put('x', '1', [2, 3]),
      get('x', '1', [4, 5]),
      append('x', '2', [6, 7]),
      get('x', '12', [8, 9]),
      append('y', 'a', [10, 11]),
      get('y', 'a', [12, 13]),
    ];
    expect(checkOperations(kvModel, history)).toMatchObject({ verdict: 'ok', operations: 7, partitions: 2 });
  });

  it('a read concurrent with a write may see the old value or the new one', () => {
    expect(verdict([put('x', '1', [0, 1]), put('x', '2', [2, 10]), get('x', '1', [3, 4])])).toBe('ok');
    expect(verdict([put('x', '1', [0, 1]), put('x', '2', [2, 10]), get('x', '2', [3, 4])])).toBe('ok');
  });

  it('intervals are closed: a call at the very time another returns overlaps it', () => {
    // get at [5, 6] sees the old value although put returned at 5: the put may take effect at 5, after the get.
    expect(verdict([put('x', '1', [0, 1]), put('x', '2', [2, 5]), get('x', '1', [5, 6])])).toBe('ok');
    expect(verdict([put('x', '1', [0, 1]), put('x', '2', [2, 5]), get('x', '1', [5.001, 6])])).toBe(
      'illegal',
    );
  });

  it('concurrent appends seen in either order', () => {
    const appends = [append('x', 'a', [0, 10], 1), append('x', 'b', [0, 10], 2)];
    expect(verdict([...appends, get('x', 'ab', [11, 12])])).toBe('ok');
    expect(verdict([...appends, get('x', 'ba', [11, 12])])).toBe('ok');
  });

  it('keys are independent: each key has its own order', () => {
    const history = [
      put('x', '1', [0, 10]),
      put('y', '1', [0, 10]),
      get('x', '1', [1, 2]),
      get('y', null, [1, 2]),
      get('y', '1', [3, 4]),
    ];
    expect(checkOperations(kvModel, history)).toMatchObject({ verdict: 'ok', partitions: 2 });
  });
});

describe('non-linearizable key/value histories', () => {
  it('a stale read: a value overwritten before the read began', () => {
    const result = checkOperations(kvModel, [
      put('x', '1', [0, 1]),
      put('x', '2', [2, 3]),
      get('x', '1', [4, 5]),
    ]);
    expect(result).toMatchObject({ verdict: 'illegal', partition: 'x' });
  });

  it('a read that sees the new value, then a later read that sees the old one', () => {
    expect(
      verdict([
        put('x', '1', [0, 1]),
        put('x', '2', [2, 100]),
        get('x', '2', [10, 20]),
        get('x', '1', [30, 40]),
      ]),
    ).toBe('illegal');
  });

  it('a lost write: an acknowledged append missing from a later read', () => {
    expect(
      verdict([
        put('x', 'a', [0, 1]),
        append('x', 'b', [2, 3]),
        append('x', 'c', [4, 5]),
        get('x', 'ac', [6, 7]),
      ]),
    ).toBe('illegal');
  });

  it('a read of a value never written', () => {
    expect(verdict([put('x', '1', [0, 1]), get('x', 'zzz', [0, 5])])).toBe('illegal');
    expect(verdict([get('x', '', [0, 1])])).toBe('illegal');
  });

  it('appends seen in an order their intervals forbid', () => {
    expect(verdict([append('x', 'a', [0, 1]), append('x', 'b', [2, 3]), get('x', 'ba', [4, 5])])).toBe(
      'illegal',
    );
    // a and b concurrent, c after both: c must come last.
    const appends = [append('x', 'a', [0, 10]), append('x', 'b', [0, 10]), append('x', 'c', [11, 12])];
    expect(verdict([...appends, get('x', 'bac', [13, 14])])).toBe('ok');
    expect(verdict([...appends, get('x', 'bca', [13, 14])])).toBe('illegal');
    expect(verdict([...appends, get('x', 'aab', [13, 14])])).toBe('illegal');
  });

  it('an illegal key is found among legal ones and named', () => {
    const history = [
      put('a', '1', [0, 1]),
      get('a', '1', [2, 3]),
      put('b', '1', [0, 1]),
      get('b', '2', [2, 3]),
      put('c', '1', [0, 1]),
    ];
    expect(checkOperations(kvModel, history)).toMatchObject({
      verdict: 'illegal',
      partition: 'b',
      partitions: 3,
    });
  });
});

describe('histories where the first greedy choice is wrong', () => {
  it('two concurrent puts, then a read of the one that must have come second', () => {
    // The search first linearizes put 1 then put 2; the read of "1" forces the other order.
    expect(verdict([put('x', '1', [0, 10]), put('x', '2', [0, 10]), get('x', '1', [11, 12])])).toBe('ok');
  });

  it('a read in the middle decides the order of two appends around it', () => {
    const history = [
      append('x', 'a', [0, 50], 1),
      append('x', 'b', [0, 50], 2),
      get('x', 'b', [10, 20], 3),
      get('x', 'ba', [60, 70], 3),
    ];
    expect(verdict(history)).toBe('ok');
    expect(verdict([...history.slice(0, 3), get('x', 'ab', [60, 70], 3)])).toBe('illegal');
  });

  it('a chain of reads that fixes the order of six concurrent appends, last first', () => {
    const letters = ['a', 'b', 'c', 'd', 'e', 'f'];
    const appends = letters.map((letter, i) => append('x', letter, [0, 100], i));
    // Reads after the appends began see them land in reverse order: f, fe, fed...
    const reads = letters.map((_, i) =>
      get(
        'x',
        letters
          .slice(letters.length - 1 - i)
          .reverse()
          .join(''),
        [10 + 10 * i, 15 + 10 * i],
        9,
      ),
    );
    expect(verdict([...appends, ...reads])).toBe('ok');
    // Swap the last two reads' answers: "fedcba" before "fedcb" cannot be.
    const swapped = [
      ...reads.slice(0, 4),
      { ...reads[5]!, call: 60, return: 65 },
      { ...reads[4]!, call: 70, return: 75 },
    ];
    expect(verdict([...appends, ...swapped])).toBe('illegal');
  });

  it('a cas decides which of two concurrent puts came last', () => {
    const history = [
      put('x', '1', [0, 10]),
      put('x', '2', [0, 10]),
      cas('x', '1', '3', { swapped: true, holds: '3' }, [11, 12]),
      get('x', '3', [13, 14]),
    ];
    expect(verdict(history)).toBe('ok');
  });
});

describe('compare-and-set and delete', () => {
  it('two concurrent cas from absent: one swaps, the other sees its value', () => {
    const a = cas('x', null, 'a', { swapped: true, holds: 'a' }, [0, 10], 1);
    expect(verdict([a, cas('x', null, 'b', { swapped: false, holds: 'a' }, [0, 10], 2)])).toBe('ok');
    expect(verdict([a, cas('x', null, 'b', { swapped: true, holds: 'b' }, [0, 10], 2)])).toBe('illegal');
    expect(verdict([a, cas('x', null, 'b', { swapped: false, holds: 'b' }, [0, 10], 2)])).toBe('illegal');
  });

  it('a cas that did not swap must answer the value held at that point', () => {
    const before = [put('x', '1', [0, 1]), put('x', '2', [2, 10])];
    expect(verdict([...before, cas('x', '0', '9', { swapped: false, holds: '1' }, [3, 4])])).toBe('ok');
    expect(verdict([...before, cas('x', '0', '9', { swapped: false, holds: '2' }, [3, 4])])).toBe('ok');
    expect(verdict([...before, cas('x', '0', '9', { swapped: false, holds: '3' }, [3, 4])])).toBe('illegal');
    expect(verdict([...before, cas('x', '1', '9', { swapped: true, holds: '9' }, [11, 12])])).toBe('illegal');
  });

  it('delete answers whether the key existed and leaves it absent', () => {
    expect(verdict([put('x', '1', [0, 1]), del('x', true, [2, 3]), get('x', null, [4, 5])])).toBe('ok');
    expect(verdict([del('x', false, [0, 1]), append('x', 'a', [2, 3]), get('x', 'a', [4, 5])])).toBe('ok');
    expect(verdict([put('x', '1', [0, 1]), del('x', false, [2, 3])])).toBe('illegal');
    expect(verdict([put('x', '1', [0, 1]), del('x', true, [2, 3]), get('x', '1', [4, 5])])).toBe('illegal');
    // Concurrent with the put, the delete may go either side of it.
    expect(verdict([put('x', '1', [0, 10]), del('x', false, [1, 2]), get('x', '1', [11, 12])])).toBe('ok');
    expect(verdict([put('x', '1', [0, 10]), del('x', true, [1, 2]), get('x', null, [11, 12])])).toBe('ok');
    expect(verdict([put('x', '1', [0, 10]), del('x', true, [1, 2]), get('x', '1', [11, 12])])).toBe(
      'illegal',
    );
  });

  it('an operation that returned without a known answer still took effect before its return', () => {
    const unknownDelete = unanswered(del('x', true, [2, 3]), 3);
    expect(verdict([put('x', '1', [0, 1]), unknownDelete, get('x', null, [4, 5])])).toBe('ok');
    expect(verdict([put('x', '1', [0, 1]), unknownDelete, get('x', '1', [4, 5])])).toBe('illegal');
  });

  it('an answer of the wrong kind is illegal and says so', () => {
    const wrong: KvOperation = { ...get('x', 'v', [0, 1]), output: { kv: 'put' } };
    const result = checkOperations(kvModel, [wrong]);
    expect(result.verdict).toBe('illegal');
    expect(result.explanation).toContain('wrong kind');
  });
});
