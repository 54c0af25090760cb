/** The commit rules (Figure 2, section 5.4.2) as pure functions: what a quorum holds, and what commits. */
import { describe, expect, it } from 'vitest';
import type { PeerProgress } from '../../machines/index.js';
import {
  ArrayRaftLog,
  followerCommitIndex,
  nextCommitIndex,
  quorumMatchIndex,
} from '../../machines/index.js';
import { appendEntries, entriesWithTerms } from './machine-harness.js';

const matched = (...matchIndexes: number[]): PeerProgress[] =>
  matchIndexes.map((matchIndex) => ({
    nextIndex: matchIndex + 1,
    matchIndex,
    mode: 'replicate',
    probeRpcId: null,
  }));

describe('quorumMatchIndex', () => {
  it('is the highest index a majority holds, the leader counted up to what it persisted', () => {
    expect(quorumMatchIndex(7, matched(3, 9, 5, 1))).toBe(5);
    expect(quorumMatchIndex(1, matched(9, 9, 5, 4))).toBe(5);
    expect(quorumMatchIndex(2, matched(8))).toBe(2);
    expect(quorumMatchIndex(4, [])).toBe(4);
  });
});

describe('nextCommitIndex', () => {
  const log = new ArrayRaftLog(entriesWithTerms(1, 1, 2, 2, 2));

  it('moves up to what a quorum holds when that entry is of the current term', () => {
    expect(nextCommitIndex(0, 2, log, 5, matched(4, 1))).toBe(4);
  });

  it('never counts an entry of an earlier term (Figure 8): it commits only indirectly', () => {
    expect(nextCommitIndex(0, 2, log, 5, matched(2, 1))).toBe(0);
    expect(nextCommitIndex(0, 3, log, 5, matched(5, 5))).toBe(0);
  });

  it('never goes back, even when a quorum now reports less', () => {
    expect(nextCommitIndex(5, 2, log, 5, matched(3, 3))).toBe(5);
    expect(nextCommitIndex(4, 2, log, 4, matched(4, 0))).toBe(4);
  });
});

describe('followerCommitIndex', () => {
  it("follows the leader's commit index, but only up to what the request vouches for", () => {
    const request = appendEntries('b', 1, {
      prevLogIndex: 2,
      entries: entriesWithTerms(1, 1),
      leaderCommit: 9,
    });
    expect(followerCommitIndex(0, request)).toBe(4);
    expect(followerCommitIndex(0, { ...request, leaderCommit: 3 })).toBe(3);
  });

  it('never goes back', () => {
    const request = appendEntries('b', 1, { prevLogIndex: 1, leaderCommit: 1 });
    expect(followerCommitIndex(3, request)).toBe(3);
  });
});
