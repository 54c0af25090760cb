/** Term and vote rules: quorum size and the up-to-date check of section 5.4.1. */
import { describe, expect, it } from 'vitest';
import type { LogEntry } from '../../machines/index.js';
import { ArrayRaftLog, isLogUpToDate, quorumSize } from '../../machines/index.js';

function logOf(...terms: number[]): ArrayRaftLog {
  return new ArrayRaftLog(terms.map((term, i): LogEntry => ({ term, command: `cmd${i + 1}` })));
}

describe('quorumSize', () => {
  it('is a strict majority of the cluster', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9].map(quorumSize)).toEqual([1, 2, 2, 3, 3, 4, 4, 5, 5]);
  });

  it('makes any two quorums overlap, and leaves fewer than a quorum outside one', () => {
    for (let size = 1; size <= 25; size++) {
      const quorum = quorumSize(size);
      expect(2 * quorum).toBeGreaterThan(size);
      expect(quorum).toBeLessThanOrEqual(size);
      expect(2 * (quorum - 1)).toBeLessThanOrEqual(size);
    }
  });
});

describe('isLogUpToDate', () => {
  const log = logOf(1, 1, 2, 2, 3); // last term 3, last index 5

  it('accepts a higher last term, however short the log', () => {
    expect(isLogUpToDate(4, 1, log)).toBe(true);
    expect(isLogUpToDate(4, 5, log)).toBe(true);
    expect(isLogUpToDate(9, 100, log)).toBe(true);
  });

  it('refuses a lower last term, however long the log', () => {
    expect(isLogUpToDate(2, 100, log)).toBe(false);
    expect(isLogUpToDate(0, 0, log)).toBe(false);
  });

  it('with equal last terms, accepts a log at least as long', () => {
    expect(isLogUpToDate(3, 5, log)).toBe(true);
    expect(isLogUpToDate(3, 6, log)).toBe(true);
    expect(isLogUpToDate(3, 4, log)).toBe(false);
  });

  it('accepts anyone against an empty log, even an empty candidate', () => {
    const empty = new ArrayRaftLog();
    expect(isLogUpToDate(0, 0, empty)).toBe(true);
    expect(isLogUpToDate(1, 1, empty)).toBe(true);
  });

  it('refuses an empty candidate against a non-empty log', () => {
    expect(isLogUpToDate(0, 0, logOf(1))).toBe(false);
  });

  it('is reflexive: a log is as up to date as itself', () => {
    for (const terms of [[], [1], [1, 1, 2], [3, 3, 3, 7]]) {
      const l = logOf(...terms);
      expect(isLogUpToDate(l.lastTerm, l.lastIndex, l)).toBe(true);
    }
  });
});
