/**
 * The time budget: a history whose search cannot finish ends 'unknown' soon after the
 * budget, saying which partitions were left, and the partitions share the budget, so an
 * illegal one is still found next to one that cannot finish.
 */
import { describe, expect, it } from 'vitest';
import { checkOperations, DEFAULT_CHECK_TIMEOUT_MS } from '../../src/check/check-operations.js';
import { kvModel } from '../../src/check/kv-model.js';
import { append, get, put } from './kv-history.js';

/** 30 concurrent appends, then a read no order explains: the search must try them all (30!). */
function pathological(key: string) {
  const appends = Array.from({ length: 30 }, (_, i) => append(key, `v${i}`, [0, 100], i));
  return [...appends, get(key, 'no order gives this', [101, 102], 99)];
}

describe('the time budget', () => {
  it('is 10 s by default', () => {
    expect(DEFAULT_CHECK_TIMEOUT_MS).toBe(10_000);
  });

  it('ends a search that cannot finish with unknown, soon after the budget', () => {
    const result = checkOperations(kvModel, pathological('hard'), { timeoutMs: 100 });
    expect(result.verdict).toBe('unknown');
    expect(result.unfinished).toEqual(['hard']);
    expect(result.explanation).toMatch(
      /ran out of its 100 ms budget before finishing 1 of 1 partitions \("hard"\)/,
    );
    expect(result.steps).toBeGreaterThan(1000);
    // Generous: the clock is read every 1024 steps; this only proves it does not hang.
    expect(result.elapsedMs).toBeGreaterThanOrEqual(100);
    expect(result.elapsedMs).toBeLessThan(5000);
  });

  it('still finds an illegal partition next to one that cannot finish', () => {
    const history = [...pathological('hard'), put('easy', '1', [0, 1]), get('easy', '2', [2, 3])];
    const result = checkOperations(kvModel, history, { timeoutMs: 200 });
    expect(result).toMatchObject({ verdict: 'illegal', partition: 'easy' });
  });

  it('is unknown rather than ok when one partition is left and the others are fine', () => {
    const history = [put('easy', '1', [0, 1]), get('easy', '1', [2, 3]), ...pathological('hard')];
    const result = checkOperations(kvModel, history, { timeoutMs: 100 });
    expect(result).toMatchObject({ verdict: 'unknown', unfinished: ['hard'], partitions: 2 });
  });
});
