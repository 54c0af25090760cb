/**
 * How long the check takes on long histories (printed; the only assertion is the verdict,
 * within the default 10 s budget): 10,000 operations over 10 keys from 20 concurrent
 * clients, as the kvraft ports produce, without and with open calls, and one hot key.
 */
import { describe, expect, it } from 'vitest';
import { checkOperations } from '../../src/check/check-operations.js';
import { kvModel } from '../../src/check/kv-model.js';
import type { RandomKvHistoryOptions } from './random-kv-history.js';
import { randomKvHistory } from './random-kv-history.js';

const cases: readonly (RandomKvHistoryOptions & { readonly name: string })[] = [
  { name: '10,000 ops, 10 keys, 20 clients', seed: 1, operations: 10_000, clients: 20, keys: 10 },
  {
    name: '10,000 ops, 10 keys, 20 clients, 2% open (sessions)',
    seed: 2,
    operations: 10_000,
    clients: 20,
    keys: 10,
    openPercent: 2,
    sessions: true,
  },
  { name: '10,000 ops, 1 key, 5 clients', seed: 3, operations: 10_000, clients: 5, keys: 1 },
];

describe('checker performance', () => {
  it.each(cases)('$name', (shape) => {
    const history = randomKvHistory(shape);
    // Twice: the first run includes compiling the search; the second is the steady state.
    const cold = checkOperations(kvModel, history);
    const warm = checkOperations(kvModel, history);
    console.log(
      `linearizability check, ${shape.name}: ${cold.elapsedMs.toFixed(0)} ms cold, ` +
        `${warm.elapsedMs.toFixed(0)} ms warm, ${warm.steps} steps, ${warm.partitions} partitions, ` +
        `${warm.openOperations} open`,
    );
    expect(cold.verdict).toBe('ok');
    expect(warm.verdict).toBe('ok');
  });
});
