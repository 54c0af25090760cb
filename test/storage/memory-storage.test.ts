/** Storage in memory: writes apply at once, sizes are kept incrementally, a crash kills the handle. */
import { describe, expect, it } from 'vitest';
import type { HardState, LogEdit, LogEntry } from '../../machines/index.js';
import { SeededRandom } from '../../src/sim/seeded-random.js';
import { SimClock } from '../../src/sim/sim-clock.js';
import { MemoryStorage } from '../../src/storage/memory-storage.js';
import { entrySize, hardStateSize } from '../../src/storage/state-size.js';

function entries(...terms: number[]): LogEntry[] {
  return terms.map((term, i) => ({ term, command: `cmd${i + 1}` }));
}

function isPending(promise: Promise<unknown>): Promise<boolean> {
  const marker = Symbol('pending');
  return Promise.race([promise.then(() => false), Promise.resolve(marker).then(() => true)]).then(
    (result) => result === true,
  );
}

describe('MemoryStorage load and write', () => {
  it('starts empty: term 0, no vote, no entries', async () => {
    const storage = new MemoryStorage();
    await expect(storage.load()).resolves.toEqual({
      hardState: { currentTerm: 0, votedFor: null },
      entries: [],
    });
    expect(storage.dead).toBe(false);
  });

  it('loads the initial state it was given, without sharing its entries array', async () => {
    const initial = { hardState: { currentTerm: 4, votedFor: 'b' }, entries: entries(1, 2, 4) };
    const storage = new MemoryStorage(initial);
    const loaded = await storage.load();
    expect(loaded).toEqual(initial);
    expect(loaded.entries).not.toBe(initial.entries);
    await storage.write({ log: { from: 4, entries: entries(4) } });
    expect(initial.entries).toHaveLength(3);
  });

  it('loads what was written', async () => {
    const storage = new MemoryStorage();
    const hardState: HardState = { currentTerm: 2, votedFor: 'a' };
    await storage.write({ hardState });
    await storage.write({ log: { from: 1, entries: entries(1, 2) } });
    await storage.write({
      hardState: { currentTerm: 3, votedFor: null },
      log: { from: 3, entries: entries(3) },
    });
    const loaded = await storage.load();
    expect(loaded.hardState).toEqual({ currentTerm: 3, votedFor: null });
    expect(loaded.entries.map((e) => e.term)).toEqual([1, 2, 3]);
  });

  it('returns a snapshot from load that later writes do not change', async () => {
    const storage = new MemoryStorage();
    await storage.write({ log: { from: 1, entries: entries(1, 1) } });
    const before = await storage.load();
    await storage.write({ log: { from: 1, entries: entries(5) } });
    expect(before.entries.map((e) => e.term)).toEqual([1, 1]);
    expect((await storage.load()).entries.map((e) => e.term)).toEqual([5]);
  });

  it('keeps the hardState when a batch has only a log edit, and the log when it has only a hardState', async () => {
    const storage = new MemoryStorage({ hardState: { currentTerm: 7, votedFor: 'c' }, entries: entries(1) });
    await storage.write({ log: { from: 2, entries: entries(7) } });
    expect((await storage.load()).hardState).toEqual({ currentTerm: 7, votedFor: 'c' });
    await storage.write({ hardState: { currentTerm: 8, votedFor: null } });
    expect((await storage.load()).entries).toHaveLength(2);
    await storage.write({});
    expect(await storage.load()).toEqual({
      hardState: { currentTerm: 8, votedFor: null },
      entries: [
        { term: 1, command: 'cmd1' },
        { term: 7, command: 'cmd1' },
      ],
    });
  });

  it('applies a log edit by truncating from `from` and appending', async () => {
    const storage = new MemoryStorage({
      hardState: { currentTerm: 3, votedFor: null },
      entries: entries(1, 1, 2, 2, 3),
    });
    const replacement: LogEntry[] = [
      { term: 3, command: 'x' },
      { term: 3, command: 'y' },
    ];
    await storage.write({ log: { from: 3, entries: replacement } });
    const loaded = await storage.load();
    expect(loaded.entries).toEqual([...entries(1, 1), ...replacement]);
    expect(loaded.entries[2]).toBe(replacement[0]); // entries are immutable values, shared
  });

  it('truncates without appending when the edit has no entries', async () => {
    const storage = new MemoryStorage({
      hardState: { currentTerm: 1, votedFor: null },
      entries: entries(1, 1, 1),
    });
    await storage.write({ log: { from: 2, entries: [] } });
    expect((await storage.load()).entries).toEqual(entries(1));
    await storage.write({ log: { from: 1, entries: [] } });
    expect((await storage.load()).entries).toEqual([]);
  });

  it('appends when the edit starts right after the last entry', async () => {
    const storage = new MemoryStorage({
      hardState: { currentTerm: 1, votedFor: null },
      entries: entries(1, 1),
    });
    await storage.write({ log: { from: 3, entries: [{ term: 2, command: 'z' }] } });
    expect((await storage.load()).entries.map((e) => e.command)).toEqual(['cmd1', 'cmd2', 'z']);
  });

  it('completes a write through a promise', async () => {
    const storage = new MemoryStorage();
    const write = storage.write({ hardState: { currentTerm: 1, votedFor: null } });
    expect(write).toBeInstanceOf(Promise);
    await expect(write).resolves.toBeUndefined();
  });
});

describe('MemoryStorage.stateBytes', () => {
  it('counts the hardState and every entry as compact records', async () => {
    const storage = new MemoryStorage();
    expect(storage.stateBytes).toBe(Buffer.byteLength(JSON.stringify([0, null])));
    const log = entries(1, 1, 2);
    const hardState = { currentTerm: 12, votedFor: 'node-7' };
    await storage.write({ hardState, log: { from: 1, entries: log } });
    const expected =
      Buffer.byteLength(JSON.stringify([12, 'node-7'])) +
      log.reduce((sum, e) => sum + Buffer.byteLength(JSON.stringify([e.term, e.command])), 0);
    expect(storage.stateBytes).toBe(expected);
    expect(storage.stateBytes).toBe(hardStateSize(hardState) + log.reduce((s, e) => s + entrySize(e), 0));
  });

  it('grows on append and shrinks on truncation', async () => {
    const storage = new MemoryStorage();
    const empty = storage.stateBytes;
    await storage.write({ log: { from: 1, entries: entries(1, 1, 1, 1) } });
    const four = storage.stateBytes;
    expect(four).toBeGreaterThan(empty);
    await storage.write({ log: { from: 3, entries: [] } });
    const two = storage.stateBytes;
    expect(two).toBeLessThan(four);
    expect(two).toBeGreaterThan(empty);
    expect(two).toBe(
      empty + entrySize({ term: 1, command: 'cmd1' }) + entrySize({ term: 1, command: 'cmd2' }),
    );
    await storage.write({ log: { from: 1, entries: [] } });
    expect(storage.stateBytes).toBe(empty);
  });

  it('counts the initial state', () => {
    const state = { hardState: { currentTerm: 3, votedFor: 'a' }, entries: entries(1, 2, 3) };
    const storage = new MemoryStorage(state);
    expect(storage.stateBytes).toBe(
      hardStateSize(state.hardState) + state.entries.reduce((s, e) => s + entrySize(e), 0),
    );
  });

  it('equals a from-scratch computation after random edit sequences', async () => {
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
      const random = new SeededRandom(seed, 'memory-storage');
      const storage = new MemoryStorage();
      let reference: LogEntry[] = [];
      let hardState: HardState = { currentTerm: 0, votedFor: null };
      for (let step = 0; step < 300; step++) {
        const batch: { hardState?: HardState; log?: LogEdit } = {};
        if (random.int(2) === 0) {
          hardState = {
            currentTerm: hardState.currentTerm + random.int(3),
            votedFor: random.pick([null, 'a', 'bb', 'node-ccc']),
          };
          batch.hardState = hardState;
        }
        if (random.int(3) > 0) {
          const from = 1 + random.int(reference.length);
          const added = Array.from({ length: random.int(6) }, () => ({
            term: hardState.currentTerm,
            command: random.pick(['x', 'yy', { op: 'put', key: `k${random.int(999)}` }, 12345, null]),
          }));
          batch.log = { from, entries: added };
          reference = [...reference.slice(0, from - 1), ...added];
        }
        await storage.write(batch);
        const loaded = await storage.load();
        expect(loaded.entries).toEqual(reference);
        expect(loaded.hardState).toEqual(hardState);
        expect(storage.stateBytes).toBe(new MemoryStorage(loaded).stateBytes);
        expect(storage.stateBytes).toBe(
          hardStateSize(hardState) + reference.reduce((s, e) => s + entrySize(e), 0),
        );
      }
    }
  });
});

describe('MemoryStorage.crash', () => {
  it('returns the state as of the crash', async () => {
    const storage = new MemoryStorage();
    await storage.write({
      hardState: { currentTerm: 5, votedFor: 'b' },
      log: { from: 1, entries: entries(1, 5) },
    });
    const saved = storage.crash();
    expect(saved).toEqual({ hardState: { currentTerm: 5, votedFor: 'b' }, entries: entries(1, 5) });
    expect(storage.dead).toBe(true);
  });

  it('never completes a later write, and the write changes nothing', async () => {
    const onDurable: HardState[] = [];
    const storage = new MemoryStorage(undefined, (hardState) => onDurable.push(hardState));
    await storage.write({
      hardState: { currentTerm: 2, votedFor: 'a' },
      log: { from: 1, entries: entries(1, 2) },
    });
    const saved = storage.crash();
    const sizeAtCrash = storage.stateBytes;
    const clock = new SimClock();

    let completed = false;
    const late = storage.write({
      hardState: { currentTerm: 9, votedFor: 'z' },
      log: { from: 1, entries: entries(9, 9, 9) },
    });
    void late.then(
      () => (completed = true),
      () => (completed = true),
    );
    await clock.runFor(60_000); // lets virtual time pass and every pending promise settle
    expect(completed).toBe(false);
    expect(await isPending(late)).toBe(true);

    expect(saved).toEqual({ hardState: { currentTerm: 2, votedFor: 'a' }, entries: entries(1, 2) });
    expect(storage.stateBytes).toBe(sizeAtCrash);
    expect(await storage.load()).toEqual(saved);
    expect(new MemoryStorage(saved).stateBytes).toBe(sizeAtCrash);
    expect(onDurable).toEqual([{ currentTerm: 2, votedFor: 'a' }]);
  });

  it('hands over a state that a restarted storage can build on independently', async () => {
    const storage = new MemoryStorage();
    await storage.write({ log: { from: 1, entries: entries(1, 1) } });
    const saved = storage.crash();
    const restarted = new MemoryStorage(saved);
    await restarted.write({ log: { from: 2, entries: entries(3, 3) } });
    expect(saved.entries).toEqual(entries(1, 1));
    expect((await restarted.load()).entries.map((e) => e.term)).toEqual([1, 3, 3]);
  });

  it('the isPending helper does tell a settled promise from a pending one', async () => {
    expect(await isPending(Promise.resolve())).toBe(false);
    expect(await isPending(new Promise(() => {}))).toBe(true);
  });
});

describe('MemoryStorage onDurable', () => {
  it('is called with each hardState written, in order, and not for log-only writes', async () => {
    const seen: HardState[] = [];
    const storage = new MemoryStorage(undefined, (hardState) => seen.push(hardState));
    const first = { currentTerm: 1, votedFor: 'a' };
    const second = { currentTerm: 2, votedFor: null };
    await storage.write({ hardState: first });
    await storage.write({ log: { from: 1, entries: entries(2) } });
    await storage.write({ hardState: second, log: { from: 2, entries: entries(2) } });
    await storage.write({ hardState: second });
    expect(seen).toEqual([first, second, second]);
    expect(seen[0]).toBe(first);
  });

  it('sees the hardState as it becomes durable, before the write promise resolves', async () => {
    const order: string[] = [];
    const storage = new MemoryStorage(undefined, (hardState) =>
      order.push(`durable ${hardState.currentTerm}`),
    );
    const write = storage
      .write({ hardState: { currentTerm: 4, votedFor: null } })
      .then(() => order.push('resolved'));
    order.push('returned');
    await write;
    expect(order).toEqual(['durable 4', 'returned', 'resolved']);
  });
});
