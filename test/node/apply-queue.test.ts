/** The apply queue: committed entries reach the application in order, once, as copies. */
import { describe, expect, it } from 'vitest';
import { ApplyQueue } from '../../src/node/apply-queue.js';
import type { AppliedEntry } from '../../src/node/providers.js';

const settle = () => new Promise((resolve) => setImmediate(resolve));
const entries = (...commands: string[]) => commands.map((command) => ({ term: 1, command }));

describe('ApplyQueue', () => {
  it('a synchronous application gets a whole batch at once, in order, with no wait per entry', () => {
    const applied: number[] = [];
    const queue = new ApplyQueue(
      { restore: () => {}, apply: (entry) => void applied.push(entry.index) },
      0,
      (error) => {
        throw error;
      },
    );
    queue.push(1, entries('a', 'b', 'c'));
    expect(applied).toEqual([1, 2, 3]);
    queue.push(4, entries('d'));
    expect(applied).toEqual([1, 2, 3, 4]);
  });

  it('delivers in index order, one at a time, waiting for each delivery', async () => {
    const applied: AppliedEntry[] = [];
    let release: () => void = () => {};
    const queue = new ApplyQueue(
      {
        restore: () => {},
        apply: (entry) => {
          applied.push(entry);
          return new Promise<void>((resolve) => (release = resolve));
        },
      },
      0,
      (error) => {
        throw error;
      },
    );
    queue.push(1, entries('a', 'b'));
    queue.push(3, entries('c'));
    await settle();
    expect(applied.map((e) => e.index)).toEqual([1]);
    release();
    await settle();
    release();
    await settle();
    expect(applied).toEqual([
      { index: 1, term: 1, command: 'a' },
      { index: 2, term: 1, command: 'b' },
      { index: 3, term: 1, command: 'c' },
    ]);
    expect(queue.lastQueued).toBe(3);
  });

  it('hands out copies, never the log entries themselves', async () => {
    const applied: AppliedEntry[] = [];
    const queue = new ApplyQueue(
      { restore: () => {}, apply: (entry) => void applied.push(entry) },
      0,
      () => {},
    );
    const log = entries('a');
    queue.push(1, log);
    await settle();
    expect(applied[0]).not.toBe(log[0]);
    expect(applied[0]).toEqual({ index: 1, term: 1, command: 'a' });
  });

  it('refuses a gap or a repeat', () => {
    const queue = new ApplyQueue({ restore: () => {}, apply: () => {} }, 4, () => {});
    expect(() => queue.push(6, entries('x'))).toThrow(/expected index 5, got 6/);
    expect(() => queue.push(4, entries('x'))).toThrow(/expected index 5, got 4/);
  });

  it('delivers nothing more once stopped', async () => {
    const applied: AppliedEntry[] = [];
    let release: () => void = () => {};
    const queue = new ApplyQueue(
      {
        restore: () => {},
        apply: (e) => (applied.push(e), new Promise<void>((resolve) => (release = resolve))),
      },
      0,
      () => {},
    );
    queue.push(1, entries('a', 'b', 'c'));
    await settle();
    queue.stop();
    release();
    await settle();
    queue.push(4, entries('d'));
    await settle();
    expect(applied.map((e) => e.index)).toEqual([1]);
  });

  it('reports an application that throws', async () => {
    const errors: unknown[] = [];
    const queue = new ApplyQueue(
      {
        restore: () => {},
        apply: () => {
          throw new Error('bad command');
        },
      },
      0,
      (error) => errors.push(error),
    );
    queue.push(1, entries('a'));
    await settle();
    expect(errors).toEqual([new Error('bad command')]);
  });
});
