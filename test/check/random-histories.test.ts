/**
 * Seeded random histories: linearizable by construction (a sequential store applied at
 * points inside the intervals) must check 'ok'; the same with one read's answer changed to
 * a value never written must check 'illegal', in that read's key.
 */
import { describe, expect, it } from 'vitest';
import { checkOperations } from '../../src/check/check-operations.js';
import { kvModel } from '../../src/check/kv-model.js';
import { replayable, testSeeds } from '../support/seeds.js';
import type { RandomKvHistoryOptions } from './random-kv-history.js';
import { randomKvHistory, withReadOfValueNeverWritten } from './random-kv-history.js';

const command = 'npx vitest run test/check/random-histories.test.ts';

const shapes: readonly (Omit<RandomKvHistoryOptions, 'seed'> & { readonly name: string })[] = [
  { name: 'no open calls', operations: 600, clients: 8, keys: 3 },
  { name: 'open calls with sessions', operations: 600, clients: 8, keys: 3, openPercent: 5, sessions: true },
  { name: 'unbounded open calls', operations: 300, clients: 5, keys: 3, openPercent: 2 },
  { name: 'one hot key', operations: 400, clients: 6, keys: 1, openPercent: 2, sessions: true },
];

describe.each(shapes)('random key/value histories: $name', (shape) => {
  it('linearizable by construction: ok', async () => {
    for (const seed of testSeeds(10)) {
      await replayable(seed, command, async () => {
        const history = randomKvHistory({ ...shape, seed });
        const result = checkOperations(kvModel, history);
        expect(result.explanation).toBeUndefined();
        expect(result).toMatchObject({ verdict: 'ok', operations: shape.operations });
      });
    }
  });

  it('with one read of a value never written: illegal, in that key', async () => {
    for (const seed of testSeeds(10)) {
      await replayable(seed, command, async () => {
        const corrupted = withReadOfValueNeverWritten(randomKvHistory({ ...shape, seed }), seed * 13);
        const target = corrupted.find(
          (operation) => operation.output?.kv === 'get' && operation.output.value === 'never written',
        )!;
        const result = checkOperations(kvModel, corrupted);
        expect(result.verdict).toBe('illegal');
        expect(result.partition).toBe(target.input.key);
        expect(result.explanation).toContain(`Partition "${target.input.key}"`);
      });
    }
  });
});
