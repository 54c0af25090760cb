/** The production Raft log: one array indexed from 1, edited in place. */
import { describe, expect, it } from 'vitest';
import type { LogEntry } from '../../machines/index.js';
import { ArrayRaftLog } from '../../machines/index.js';

function entries(...terms: number[]): LogEntry[] {
  return terms.map((term, i) => ({ term, command: `cmd${i + 1}` }));
}

describe('ArrayRaftLog reads', () => {
  it('is empty by default: index 0, term 0', () => {
    const log = new ArrayRaftLog();
    expect(log.lastIndex).toBe(0);
    expect(log.lastTerm).toBe(0);
    expect(log.termAt(0)).toBe(0);
    expect(log.termAt(1)).toBeUndefined();
    expect(log.slice(1, 10)).toEqual([]);
  });

  it('gives term 0 at index 0 and undefined past the end or below 0', () => {
    const log = new ArrayRaftLog(entries(1, 1, 3));
    expect(log.termAt(0)).toBe(0);
    expect(log.termAt(1)).toBe(1);
    expect(log.termAt(2)).toBe(1);
    expect(log.termAt(3)).toBe(3);
    expect(log.termAt(4)).toBeUndefined();
    expect(log.termAt(100)).toBeUndefined();
    expect(log.termAt(-1)).toBeUndefined();
  });

  it('reports lastIndex and lastTerm', () => {
    const log = new ArrayRaftLog(entries(1, 2, 2, 5));
    expect(log.lastIndex).toBe(4);
    expect(log.lastTerm).toBe(5);
  });

  it('copies the array it was built from', () => {
    const source = entries(1, 2);
    const log = new ArrayRaftLog(source);
    source.push({ term: 9, command: 'late' });
    log.append(entries(3));
    expect(log.lastIndex).toBe(3);
    expect(source).toHaveLength(3);
    expect(source[2]!.term).toBe(9);
  });
});

describe('ArrayRaftLog.slice', () => {
  const all = entries(1, 1, 2, 3, 3);
  const log = new ArrayRaftLog(all);

  it('returns the entries in [from, toInclusive], the same entry objects', () => {
    expect(log.slice(2, 4)).toEqual([all[1], all[2], all[3]]);
    expect(log.slice(2, 4)[0]).toBe(all[1]);
    expect(log.slice(1, 5)).toEqual(all);
    expect(log.slice(3, 3)).toEqual([all[2]]);
  });

  it('clamps to the log: from below 1, to past the end', () => {
    expect(log.slice(0, 2)).toEqual([all[0], all[1]]);
    expect(log.slice(-5, 1)).toEqual([all[0]]);
    expect(log.slice(4, 99)).toEqual([all[3], all[4]]);
  });

  it('is empty for an empty or inverted range', () => {
    expect(log.slice(4, 3)).toEqual([]);
    expect(log.slice(6, 10)).toEqual([]);
    expect(log.slice(1, 0)).toEqual([]);
    expect(log.slice(0, 0)).toEqual([]);
    expect(log.slice(3, -1)).toEqual([]);
  });

  it('returns a new array: changing it does not change the log', () => {
    const copy = log.slice(1, 5);
    copy.pop();
    copy.push({ term: 99, command: 'no' });
    expect(log.lastIndex).toBe(5);
    expect(log.lastTerm).toBe(3);
  });
});

describe('ArrayRaftLog edits', () => {
  it('appends after lastIndex, editing in place and returning itself', () => {
    const log = new ArrayRaftLog(entries(1));
    const added = entries(2, 2);
    const result = log.append(added);
    expect(result).toBe(log);
    expect(log.lastIndex).toBe(3);
    expect(log.lastTerm).toBe(2);
    expect(log.slice(2, 3)[0]).toBe(added[0]);
  });

  it('appends nothing for an empty list', () => {
    const log = new ArrayRaftLog(entries(1, 2));
    expect(log.append([])).toBe(log);
    expect(log.lastIndex).toBe(2);
  });

  it('truncates from an index, dropping it and every later entry, in place', () => {
    const log = new ArrayRaftLog(entries(1, 1, 2, 2, 3));
    const result = log.truncateFrom(3);
    expect(result).toBe(log);
    expect(log.lastIndex).toBe(2);
    expect(log.lastTerm).toBe(1);
    expect(log.termAt(3)).toBeUndefined();
  });

  it('truncates everything from index 1', () => {
    const log = new ArrayRaftLog(entries(1, 2));
    log.truncateFrom(1);
    expect(log.lastIndex).toBe(0);
    expect(log.lastTerm).toBe(0);
  });

  it('leaves the log alone when truncating past its end', () => {
    const log = new ArrayRaftLog(entries(1, 2));
    expect(log.truncateFrom(3)).toBe(log);
    expect(log.lastIndex).toBe(2);
    log.truncateFrom(50);
    expect(log.lastIndex).toBe(2);
    expect(log.termAt(2)).toBe(2);
  });

  it('throws a RangeError when truncating below index 1', () => {
    const log = new ArrayRaftLog(entries(1, 2));
    expect(() => log.truncateFrom(0)).toThrow(RangeError);
    expect(() => log.truncateFrom(-3)).toThrow(/indexes start at 1/);
    expect(log.lastIndex).toBe(2);
  });

  it('supports truncate then append, as a follower repairing its log', () => {
    const log = new ArrayRaftLog(entries(1, 1, 2, 2));
    log.truncateFrom(3).append(entries(3, 3, 3));
    expect([1, 2, 3, 4, 5].map((i) => log.termAt(i))).toEqual([1, 1, 3, 3, 3]);
    expect(log.lastIndex).toBe(5);
  });
});

describe('ArrayRaftLog compaction', () => {
  const six = () => new ArrayRaftLog([1, 1, 2, 2, 3, 3].map((term, i) => ({ term, command: `c${i + 1}` })));

  it('keeps the entries after a snapshot whose last entry it holds, with every index unchanged', () => {
    const log = six().compact(4, 2);
    expect([log.snapshotIndex, log.snapshotTerm, log.lastIndex, log.lastTerm]).toEqual([4, 2, 6, 3]);
    expect([3, 4, 5, 6, 7].map((i) => log.termAt(i))).toEqual([undefined, 2, 3, 3, undefined]);
    expect(log.slice(5, 6).map((e) => e.command)).toEqual(['c5', 'c6']);
    log.truncateFrom(6).append([{ term: 4, command: 'new' }]);
    expect([log.lastIndex, log.termAt(6)]).toEqual([6, 4]);
  });

  it('discards everything when it does not hold the snapshot last entry', () => {
    const log = six().compact(5, 9);
    expect([log.snapshotIndex, log.lastIndex, log.lastTerm, log.termAt(5)]).toEqual([5, 5, 9, 9]);
    const past = six().compact(10, 3);
    expect([past.snapshotIndex, past.lastIndex, past.termAt(6)]).toEqual([10, 10, undefined]);
  });

  it('ignores an older snapshot, and refuses reads and edits inside the compacted prefix', () => {
    const log = six().compact(4, 2).compact(2, 1);
    expect(log.snapshotIndex).toBe(4);
    expect(() => log.slice(3, 5)).toThrow(/compacted/);
    expect(() => log.truncateFrom(4)).toThrow(/in the snapshot/);
  });

  it('slices after a snapshot by index, refusing any range that starts inside it', () => {
    const log = six().compact(2, 1);
    expect(log.slice(3, 4).map((e) => e.command)).toEqual(['c3', 'c4']);
    expect(log.slice(5, 5).map((e) => e.command)).toEqual(['c5']);
    expect(() => log.slice(2, 2)).toThrow(RangeError);
    expect(() => log.slice(1, 4)).toThrow(RangeError);
    // An empty range reads nothing, so nothing compacted: not refused.
    expect(log.slice(2, 1)).toEqual([]);
  });

  it('restores from a snapshot and a tail', () => {
    const log = new ArrayRaftLog([{ term: 3, command: 'x' }], { index: 7, term: 2 });
    expect([log.lastIndex, log.termAt(7), log.termAt(8), log.termAt(0)]).toEqual([8, 2, 3, 0]);
  });
});
