/** The commit rules (Figure 2, section 5.4.2) as pure functions: what a quorum holds, and what commits. */
import { describe, expect, it } from 'vitest';
import type { PeerProgress } from '../../machines/index.js';
import {
  ArrayRaftLog,
  followerCommitIndex,
  nextCommitIndex,
  quorumMatchIndex,
  voterMatchIndexes,
} from '../../machines/index.js';
import { appendEntries, entriesWithTerms } from './machine-harness.js';

const progressAt = (matchIndex: number): PeerProgress => ({
  nextIndex: matchIndex + 1,
  matchIndex,
  mode: 'replicate',
  probeRpcId: null,
});

/** The voters' indexes of leader `a` (persisted up to `own`) and followers b, c, ... matched as given. */
const matched = (own: number, ...matchIndexes: number[]): number[] => {
  const followers = matchIndexes.map((_, i) => String.fromCharCode(98 + i));
  const progress = Object.fromEntries(followers.map((f, i) => [f, progressAt(matchIndexes[i]!)]));
  return voterMatchIndexes({ voters: ['a', ...followers], learners: [], addresses: {} }, 'a', own, progress);
};

describe('voterMatchIndexes', () => {
  it('counts voters only: the leader up to what it persisted, a learner never, a voter without progress at 0', () => {
    const config = { voters: ['a', 'b', 'c'], learners: ['d'], addresses: {} };
    const progress = { b: progressAt(4), d: progressAt(9) };
    expect(voterMatchIndexes(config, 'a', 6, progress)).toEqual([6, 4, 0]);
  });

  it('leaves out a leader its configuration removed', () => {
    const config = { voters: ['b', 'c'], learners: [], addresses: {} };
    expect(voterMatchIndexes(config, 'a', 6, { b: progressAt(2), c: progressAt(3) })).toEqual([2, 3]);
  });
});

describe('quorumMatchIndex', () => {
  it('is the highest index a majority holds, the leader counted up to what it persisted', () => {
    expect(quorumMatchIndex(matched(7, 3, 9, 5, 1))).toBe(5);
    expect(quorumMatchIndex(matched(1, 9, 9, 5, 4))).toBe(5);
    expect(quorumMatchIndex(matched(2, 8))).toBe(2);
    expect(quorumMatchIndex(matched(4))).toBe(4);
  });
});

describe('nextCommitIndex', () => {
  const log = new ArrayRaftLog(entriesWithTerms(1, 1, 2, 2, 2));

  it('moves up to what a quorum holds when that entry is of the current term', () => {
    expect(nextCommitIndex(0, 2, log, matched(5, 4, 1))).toBe(4);
  });

  it('never counts an entry of an earlier term (Figure 8): it commits only indirectly', () => {
    expect(nextCommitIndex(0, 2, log, matched(5, 2, 1))).toBe(0);
    expect(nextCommitIndex(0, 3, log, matched(5, 5, 5))).toBe(0);
  });

  it('never goes back, even when a quorum now reports less', () => {
    expect(nextCommitIndex(5, 2, log, matched(5, 3, 3))).toBe(5);
    expect(nextCommitIndex(4, 2, log, matched(4, 4, 0))).toBe(4);
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
