/** Simulated storage that takes time to make a write durable and loses what is not at a crash. */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { SeededRandom } from '../../src/sim/seeded-random.js';
import { SimClock } from '../../src/sim/sim-clock.js';
import { SimStorage } from '../../src/sim/sim-storage.js';

function storage(
  seed: number,
  durability: ConstructorParameters<typeof SimStorage>[3] = { minMs: 1, maxMs: 5 },
) {
  const clock = new SimClock();
  return { clock, storage: new SimStorage(undefined, clock, new SeededRandom(seed, 'storage'), durability) };
}

const entry = (term: number) => ({ term, command: `c${term}` });

describe('SimStorage', () => {
  it('reports a write durable only after its delay, and in issue order', async () => {
    const { clock, storage: disk } = storage(1);
    const done: number[] = [];
    await clock.run(async () => {
      const writes = [1, 2, 3].map((i) =>
        disk.write({ log: { from: i, entries: [entry(1)] } }).then(() => done.push(i)),
      );
      expect(disk.inFlight).toBe(3);
      expect(disk.durable.lastIndex).toBe(0);
      await Promise.all(writes);
    });
    expect(done).toEqual([1, 2, 3]);
    expect(clock.now()).toBeGreaterThanOrEqual(1);
    expect(disk.durable.lastIndex).toBe(3);
  });

  it('loses at a crash what is in flight, except perhaps the oldest write whole', async () => {
    const recovered = new Set<number>();
    for (let seed = 1; seed <= 20; seed++) {
      const { clock, storage: disk } = storage(seed, { minMs: 10, maxMs: 10 });
      await clock.run(async () => {
        await disk.write({
          hardState: { currentTerm: 1, votedFor: null },
          log: { from: 1, entries: [entry(1)] },
        });
        void disk.write({ log: { from: 2, entries: [entry(1)] } });
        void disk.write({ log: { from: 3, entries: [entry(1)] } });
        await clock.sleep(5);
      });
      const state = disk.crash();
      recovered.add(state.entries.length);
      expect(state.hardState.currentTerm).toBe(1);
      // A dead handle never completes a write.
      let completed = false;
      void disk.write({ log: { from: 4, entries: [entry(1)] } }).then(() => (completed = true));
      await clock.runFor(100);
      expect(completed).toBe(false);
    }
    // Over the seeds both outcomes happen, and never the third write without the second.
    expect([...recovered].sort()).toEqual([1, 2]);
  });

  it('with instant durability is durable when written', async () => {
    const { storage: disk } = storage(1, 'instant');
    await disk.write({ log: { from: 1, entries: [entry(2)] } });
    expect(disk.durable.termAt(1)).toBe(2);
    expect(disk.inFlight).toBe(0);
  });

  it('refuses a delay that is not whole milliseconds with 0 <= min <= max', () => {
    const clock = new SimClock();
    const random = new SeededRandom(1, 'storage');
    for (const bad of [
      { minMs: 3, maxMs: 1 },
      { minMs: -1, maxMs: 1 },
      { minMs: 0.5, maxMs: 1 },
    ]) {
      expect(() => new SimStorage(undefined, clock, random, bad)).toThrow(ConfigError);
    }
  });
});
