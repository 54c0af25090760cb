/**
 * Open-ended operations (timed out, or the client crashed): no answer and no return, so
 * each may have taken effect at any point after its call, or never.
 */
import { describe, expect, it } from 'vitest';
import { checkOperations } from '../../src/check/check-operations.js';
import { InvalidHistoryError } from '../../src/check/check-errors.js';
import { kvModel } from '../../src/check/kv-model.js';
import type { KvOperation } from './kv-history.js';
import { append, cas, del, get, put } from './kv-history.js';

const verdict = (history: readonly KvOperation[]) => checkOperations(kvModel, history).verdict;

describe('open-ended writes', () => {
  const before = put('x', '1', [0, 1]);
  const openPut = put('x', '2', [2]);

  it('one that took effect', () => {
    expect(verdict([before, openPut, get('x', '2', [5, 6])])).toBe('ok');
  });

  it('one that did not (yet, or ever)', () => {
    expect(verdict([before, openPut, get('x', '1', [5, 6]), get('x', '1', [7, 8])])).toBe('ok');
  });

  it('one that took effect long after, after later writes', () => {
    expect(
      verdict([before, openPut, put('x', '3', [3, 4]), get('x', '3', [5, 6]), get('x', '2', [7, 8])]),
    ).toBe('ok');
  });

  it('cannot take effect and then be undone', () => {
    expect(verdict([before, openPut, get('x', '2', [5, 6]), get('x', '1', [7, 8])])).toBe('illegal');
  });

  it('cannot take effect before its call', () => {
    expect(verdict([before, get('x', '2', [1, 2]), put('x', '2', [5])])).toBe('illegal');
  });

  it('an open append takes effect at most once', () => {
    const history = [put('x', 'a', [0, 1]), append('x', 'b', [2])];
    expect(verdict([...history, get('x', 'ab', [5, 6]), get('x', 'ab', [7, 8])])).toBe('ok');
    expect(verdict([...history, get('x', 'ab', [5, 6]), get('x', 'abb', [7, 8])])).toBe('illegal');
  });

  it('two open writes may take effect in either order, or one of them only', () => {
    const history = [append('x', 'a', [0], 1), append('x', 'b', [0], 2)];
    for (const seen of ['a', 'b', 'ab', 'ba'])
      expect(verdict([...history, get('x', seen, [5, 6])])).toBe('ok');
    expect(verdict([...history, get('x', 'aa', [5, 6])])).toBe('illegal');
  });

  it('open cas and delete', () => {
    const openCas = cas('x', '1', '9', { swapped: true, holds: '9' }, [2]);
    expect(verdict([before, openCas, get('x', '9', [5, 6])])).toBe('ok');
    expect(verdict([before, openCas, get('x', '1', [5, 6])])).toBe('ok');
    // Taking effect after the put, it finds "5" and does not swap; before it, the put overwrites its "9".
    expect(verdict([before, openCas, put('x', '5', [3, 4]), get('x', '5', [5, 6])])).toBe('ok');
    expect(verdict([before, openCas, put('x', '5', [3, 4]), get('x', '9', [5, 6])])).toBe('illegal');
    expect(verdict([before, openCas, get('x', '5', [5, 6])])).toBe('illegal');
    expect(verdict([before, del('x', true, [2]), get('x', null, [5, 6])])).toBe('ok');
    expect(verdict([before, del('x', true, [2]), get('x', null, [5, 6]), get('x', '1', [7, 8])])).toBe(
      'illegal',
    );
  });
});

describe("open-ended writes with an effectBy time (superseded by the client's next write)", () => {
  const before = put('x', '1', [0, 1]);
  const bounded = { ...put('x', '2', [2]), effectBy: 4 };

  it('took effect by then, or never', () => {
    expect(verdict([before, bounded, get('x', '2', [5, 6])])).toBe('ok');
    expect(verdict([before, bounded, get('x', '1', [5, 6]), get('x', '1', [7, 8])])).toBe('ok');
    // Unbounded, a late effect would explain a read of "2" after one of "1"; bounded, not.
    expect(verdict([before, put('x', '2', [2]), get('x', '1', [5, 6]), get('x', '2', [7, 8])])).toBe('ok');
    expect(verdict([before, bounded, get('x', '1', [5, 6]), get('x', '2', [7, 8])])).toBe('illegal');
  });

  it('may take effect at its effectBy time itself, before a call made then', () => {
    expect(verdict([before, bounded, get('x', '2', [4, 5])])).toBe('ok');
    expect(verdict([before, bounded, get('x', '2', [4.5, 5])])).toBe('ok');
    expect(verdict([before, bounded, put('x', '3', [4.5, 5]), get('x', '2', [6, 7])])).toBe('illegal');
  });

  it('an effectBy on an operation that returned, or before its call, is refused', () => {
    expect(() => checkOperations(kvModel, [{ ...put('x', '1', [0, 1]), effectBy: 3 }])).toThrow(
      /returned and has an effectBy time/,
    );
    expect(() => checkOperations(kvModel, [{ ...put('x', '1', [5]), effectBy: 3 }])).toThrow(
      /has effectBy 3, not a finite time at or after its call at 5/,
    );
  });
});

describe('open-ended reads', () => {
  it('never constrain the history', () => {
    const history = [
      put('x', '1', [0, 1]),
      get('x', null, [2]),
      get('x', 'never', [3]),
      get('x', '1', [4, 5]),
    ];
    expect(checkOperations(kvModel, history)).toMatchObject({
      verdict: 'ok',
      operations: 4,
      openOperations: 2,
    });
  });

  it('do not hide an illegal read that returned', () => {
    expect(verdict([put('x', '1', [0, 1]), get('x', null, [2]), get('x', '2', [4, 5])])).toBe('illegal');
  });

  it('a history of open operations only is linearizable', () => {
    expect(verdict([get('x', 'v', [0]), put('x', '1', [1]), get('y', 'w', [2])])).toBe('ok');
  });
});

describe('histories that cannot be checked', () => {
  it('an output without a return time', () => {
    const bad: KvOperation = { ...get('x', 'v', [0, 1]), return: undefined };
    expect(() => checkOperations(kvModel, [put('x', 'v', [0, 1]), bad])).toThrow(InvalidHistoryError);
    expect(() => checkOperations(kvModel, [bad])).toThrow(
      /#0 of the history has an output but no return time/,
    );
  });

  it('a return before the call, or times that are not finite numbers', () => {
    expect(() => checkOperations(kvModel, [get('x', null, [5, 4])])).toThrow(
      /returns at 4, not a finite time/,
    );
    expect(() => checkOperations(kvModel, [get('x', null, [NaN, 4])])).toThrow(/call time NaN/);
    expect(() => checkOperations(kvModel, [get('x', null, [0, Infinity])])).toThrow(InvalidHistoryError);
  });

  it('a negative budget', () => {
    expect(() => checkOperations(kvModel, [], { timeoutMs: -1 })).toThrow(RangeError);
  });
});
