/** Log edits as storage sees them: apply one, or merge two into the single write of a turn. */
import { describe, expect, it } from 'vitest';
import type { LogEdit, LogEntry, RaftLog } from '../../machines/index.js';
import { ArrayRaftLog, applyLogEdit, mergeLogEdits } from '../../machines/index.js';
import { SeededRandom } from '../../src/sim/seeded-random.js';

function entries(...terms: number[]): LogEntry[] {
  return terms.map((term, i) => ({ term, command: `cmd${i + 1}` }));
}

function contents(log: RaftLog): LogEntry[] {
  return log.slice(1, log.lastIndex);
}

function terms(log: RaftLog): number[] {
  return contents(log).map((e) => e.term);
}

describe('applyLogEdit', () => {
  it('truncates from `from` and appends the entries', () => {
    const log = new ArrayRaftLog(entries(1, 1, 2, 2, 2));
    const added = entries(3, 3);
    const result = applyLogEdit(log, { from: 3, entries: added });
    expect(terms(result)).toEqual([1, 1, 3, 3]);
    expect(result.slice(3, 3)[0]).toBe(added[0]);
  });

  it('appends when `from` is right after the last entry', () => {
    const log = new ArrayRaftLog(entries(1, 1));
    expect(terms(applyLogEdit(log, { from: 3, entries: entries(2) }))).toEqual([1, 1, 2]);
  });

  it('truncates only, for an edit without entries', () => {
    const log = new ArrayRaftLog(entries(1, 2, 3));
    expect(terms(applyLogEdit(log, { from: 2, entries: [] }))).toEqual([1]);
    expect(terms(applyLogEdit(log, { from: 1, entries: [] }))).toEqual([]);
  });

  it('replaces the whole log from index 1', () => {
    const log = new ArrayRaftLog(entries(1, 1, 1));
    expect(terms(applyLogEdit(log, { from: 1, entries: entries(4) }))).toEqual([4]);
  });

  it('works on an empty log', () => {
    const log = new ArrayRaftLog();
    expect(terms(applyLogEdit(log, { from: 1, entries: entries(1, 1) }))).toEqual([1, 1]);
    expect(terms(applyLogEdit(new ArrayRaftLog(), { from: 1, entries: [] }))).toEqual([]);
  });

  it('edits the production log in place and returns it', () => {
    const log = new ArrayRaftLog(entries(1, 2));
    expect(applyLogEdit(log, { from: 2, entries: entries(5) })).toBe(log);
    expect(log.lastTerm).toBe(5);
  });
});

describe('mergeLogEdits', () => {
  it('returns the later edit when it starts at or before the earlier one', () => {
    const earlier: LogEdit = { from: 4, entries: entries(2, 2) };
    const later: LogEdit = { from: 2, entries: entries(3) };
    expect(mergeLogEdits(earlier, later)).toEqual(later);
    const same: LogEdit = { from: 4, entries: entries(5) };
    expect(mergeLogEdits(earlier, same)).toEqual(same);
  });

  it('concatenates a later edit that appends right after the earlier one', () => {
    const earlier: LogEdit = { from: 3, entries: entries(2, 2) };
    const later: LogEdit = { from: 5, entries: entries(2) };
    expect(mergeLogEdits(earlier, later)).toEqual({
      from: 3,
      entries: [...earlier.entries, ...later.entries],
    });
  });

  it('keeps the part of the earlier edit before the later one starts', () => {
    const earlier: LogEdit = { from: 2, entries: entries(1, 2, 3, 4) };
    const later: LogEdit = { from: 4, entries: entries(7, 7, 7) };
    const merged = mergeLogEdits(earlier, later);
    expect(merged.from).toBe(2);
    expect(merged.entries).toEqual([earlier.entries[0], earlier.entries[1], ...later.entries]);
    expect(merged.entries[0]).toBe(earlier.entries[0]);
  });

  it('merges a later truncation into the earlier edit', () => {
    const earlier: LogEdit = { from: 2, entries: entries(1, 2, 3) };
    const later: LogEdit = { from: 3, entries: [] };
    expect(mergeLogEdits(earlier, later)).toEqual({ from: 2, entries: [earlier.entries[0]] });
  });

  it('does not change its inputs', () => {
    const earlier: LogEdit = { from: 1, entries: entries(1, 1) };
    const later: LogEdit = { from: 2, entries: entries(2) };
    mergeLogEdits(earlier, later);
    expect(earlier).toEqual({ from: 1, entries: entries(1, 1) });
    expect(later).toEqual({ from: 2, entries: entries(2) });
  });

  function randomEntries(random: SeededRandom, maxLength: number): LogEntry[] {
    return Array.from({ length: random.int(maxLength) }, () => ({
      term: 1 + random.int(5),
      command: `c${random.int(1000)}`,
    }));
  }

  /** An edit that is valid on `log`: it starts at most one past its end. */
  function randomEdit(random: SeededRandom, log: RaftLog): LogEdit {
    return { from: 1 + random.int(log.lastIndex), entries: randomEntries(random, 4) };
  }

  it('equals applying the two edits one after the other, over many random pairs', () => {
    const random = new SeededRandom(2024, 'merge-log-edits');
    for (let trial = 0; trial < 5000; trial++) {
      const base = randomEntries(random, 8);
      const sequential = new ArrayRaftLog(base);
      const earlier = randomEdit(random, sequential);
      applyLogEdit(sequential, earlier);
      const later = randomEdit(random, sequential);
      applyLogEdit(sequential, later);

      const merged = mergeLogEdits(earlier, later);
      expect(merged.from).toBe(Math.min(earlier.from, later.from));
      const once = applyLogEdit(new ArrayRaftLog(base), merged);
      expect(contents(once)).toEqual(contents(sequential));
    }
  });

  it('folds a whole random sequence of edits into one equivalent edit', () => {
    const random = new SeededRandom(7, 'merge-log-edits-fold');
    for (let trial = 0; trial < 1000; trial++) {
      const base = randomEntries(random, 8);
      const sequential = new ArrayRaftLog(base);
      let merged: LogEdit | undefined;
      const steps = 1 + random.int(6);
      for (let step = 0; step < steps; step++) {
        const edit = randomEdit(random, sequential);
        applyLogEdit(sequential, edit);
        merged = merged === undefined ? edit : mergeLogEdits(merged, edit);
      }
      const once = applyLogEdit(new ArrayRaftLog(base), merged!);
      expect(contents(once)).toEqual(contents(sequential));
    }
  });
});
