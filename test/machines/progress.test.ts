/** The leader's bookkeeping per follower: matchIndex only grows, nextIndex backs up fast. */
import { describe, expect, it } from 'vitest';
import type { AppendEntriesReply, ConflictHint, LogEntry, PeerProgress } from '../../machines/index.js';
import {
  ArrayRaftLog,
  initialProgress,
  nextIndexAfterConflict,
  progressAfterReply,
} from '../../machines/index.js';
import { SeededRandom } from '../../src/sim/seeded-random.js';

function logOf(...terms: number[]): ArrayRaftLog {
  return new ArrayRaftLog(terms.map((term, i): LogEntry => ({ term, command: `cmd${i + 1}` })));
}

function accepted(matchIndex: number): AppendEntriesReply {
  return { type: 'AppendEntriesReply', from: 'b', to: 'a', term: 5, inReplyTo: 1, success: true, matchIndex };
}

function rejected(conflict?: ConflictHint): AppendEntriesReply {
  return {
    type: 'AppendEntriesReply',
    from: 'b',
    to: 'a',
    term: 5,
    inReplyTo: 1,
    success: false,
    ...(conflict ? { conflict } : {}),
  };
}

/** A follower's conflict hint: the term at prevLogIndex, where that term starts, its log length. */
function conflictHint(conflictTerm: number, conflictIndex: number, logLength: number): ConflictHint {
  return { conflictTerm, conflictIndex, logLength };
}

/** The leader's progress for a follower after it rejects with `conflict`, against leaderLog. */
function afterRejection(progress: PeerProgress, conflict: ConflictHint): PeerProgress {
  return progressAfterReply(progress, rejected(conflict), leaderLog);
}

// Terms by index:     1  2  3  4  5  6  7  8  9  10
const leaderLog = logOf(1, 1, 1, 4, 4, 5, 5, 6, 6, 6);

describe('initialProgress', () => {
  it('starts every peer at nextIndex = lastIndex + 1 and matchIndex 0', () => {
    expect(initialProgress(['b', 'c'], leaderLog)).toEqual({
      b: { nextIndex: 11, matchIndex: 0 },
      c: { nextIndex: 11, matchIndex: 0 },
    });
    expect(initialProgress(['b'], new ArrayRaftLog())).toEqual({ b: { nextIndex: 1, matchIndex: 0 } });
    expect(initialProgress([], leaderLog)).toEqual({});
  });
});

describe('nextIndexAfterConflict (fast back-up)', () => {
  it('goes past the leader last entry of the conflict term when the leader has that term', () => {
    expect(nextIndexAfterConflict({ conflictTerm: 4, conflictIndex: 4, logLength: 7 }, leaderLog)).toBe(6);
    expect(nextIndexAfterConflict({ conflictTerm: 1, conflictIndex: 1, logLength: 9 }, leaderLog)).toBe(4);
    expect(nextIndexAfterConflict({ conflictTerm: 5, conflictIndex: 3, logLength: 8 }, leaderLog)).toBe(8);
    expect(nextIndexAfterConflict({ conflictTerm: 6, conflictIndex: 8, logLength: 12 }, leaderLog)).toBe(11);
  });

  it('goes to the follower first index of the conflict term when the leader lacks that term', () => {
    expect(nextIndexAfterConflict({ conflictTerm: 2, conflictIndex: 4, logLength: 6 }, leaderLog)).toBe(4);
    expect(nextIndexAfterConflict({ conflictTerm: 3, conflictIndex: 2, logLength: 6 }, leaderLog)).toBe(2);
    expect(nextIndexAfterConflict({ conflictTerm: 7, conflictIndex: 9, logLength: 11 }, leaderLog)).toBe(9);
    expect(
      nextIndexAfterConflict({ conflictTerm: 3, conflictIndex: 1, logLength: 2 }, new ArrayRaftLog()),
    ).toBe(1);
  });

  it('goes to logLength + 1 when the follower log is too short (conflictTerm 0)', () => {
    expect(nextIndexAfterConflict({ conflictTerm: 0, conflictIndex: 4, logLength: 3 }, leaderLog)).toBe(4);
    expect(nextIndexAfterConflict({ conflictTerm: 0, conflictIndex: 1, logLength: 0 }, leaderLog)).toBe(1);
  });

  it('finds a term held only by the first entry', () => {
    expect(nextIndexAfterConflict({ conflictTerm: 2, conflictIndex: 1, logLength: 3 }, logOf(2, 3, 3))).toBe(
      2,
    );
  });

  it('agrees with a linear search on random leader logs', () => {
    const random = new SeededRandom(5, 'fast-backup');
    for (let trial = 0; trial < 2000; trial++) {
      const terms: number[] = [];
      let term = 1;
      for (let i = random.int(12); i > 0; i--) {
        term += random.int(2);
        terms.push(term);
      }
      const log = logOf(...terms);
      const hint: ConflictHint = {
        conflictTerm: random.int(term + 2),
        conflictIndex: 1 + random.int(10),
        logLength: random.int(12),
      };
      const lastWithTerm = terms.lastIndexOf(hint.conflictTerm) + 1;
      const expected =
        hint.conflictTerm === 0
          ? hint.logLength + 1
          : lastWithTerm === 0
            ? hint.conflictIndex
            : lastWithTerm + 1;
      expect(nextIndexAfterConflict(hint, log)).toBe(expected);
    }
  });
});

describe('progressAfterReply', () => {
  it('takes matchIndex from a success and sets nextIndex just past it', () => {
    expect(progressAfterReply({ nextIndex: 3, matchIndex: 0 }, accepted(7), leaderLog)).toEqual({
      matchIndex: 7,
      nextIndex: 8,
    });
  });

  it('never lowers matchIndex or nextIndex on a stale success', () => {
    expect(progressAfterReply({ nextIndex: 9, matchIndex: 8 }, accepted(5), leaderLog)).toEqual({
      matchIndex: 8,
      nextIndex: 9,
    });
    expect(progressAfterReply({ nextIndex: 11, matchIndex: 4 }, accepted(6), leaderLog)).toEqual({
      matchIndex: 6,
      nextIndex: 11,
    });
  });

  it('changes nothing on a rejection without a conflict hint (a stale term)', () => {
    const progress: PeerProgress = { nextIndex: 6, matchIndex: 3 };
    expect(progressAfterReply(progress, rejected(), leaderLog)).toEqual(progress);
  });

  it('backs nextIndex up with the hint, keeping matchIndex', () => {
    const progress: PeerProgress = { nextIndex: 11, matchIndex: 0 };
    expect(afterRejection(progress, conflictHint(4, 4, 7))).toEqual({ matchIndex: 0, nextIndex: 6 });
    expect(afterRejection(progress, conflictHint(0, 3, 2))).toEqual({ matchIndex: 0, nextIndex: 3 });
    expect(afterRejection(progress, conflictHint(2, 2, 5))).toEqual({ matchIndex: 0, nextIndex: 2 });
  });

  it('never backs nextIndex up below matchIndex + 1', () => {
    expect(afterRejection({ nextIndex: 9, matchIndex: 6 }, conflictHint(2, 2, 5))).toEqual({
      matchIndex: 6,
      nextIndex: 7,
    });
    expect(afterRejection({ nextIndex: 9, matchIndex: 5 }, conflictHint(0, 1, 0))).toEqual({
      matchIndex: 5,
      nextIndex: 6,
    });
  });

  it('keeps its invariants over random replies', () => {
    const random = new SeededRandom(6, 'progress');
    for (let trial = 0; trial < 5000; trial++) {
      const matchIndex = random.int(10);
      const progress: PeerProgress = { matchIndex, nextIndex: matchIndex + 1 + random.int(10 - matchIndex) };
      const reply =
        random.int(2) === 0
          ? accepted(random.int(10))
          : rejected(
              random.int(5) === 0
                ? undefined
                : {
                    conflictTerm: random.int(7),
                    conflictIndex: 1 + random.int(9),
                    logLength: random.int(10),
                  },
            );
      const next = progressAfterReply(progress, reply, leaderLog);
      expect(next.matchIndex).toBeGreaterThanOrEqual(progress.matchIndex);
      expect(next.nextIndex).toBeGreaterThanOrEqual(next.matchIndex + 1);
      if (reply.success) {
        expect(next.matchIndex).toBe(Math.max(progress.matchIndex, reply.matchIndex));
        expect(next.nextIndex).toBeGreaterThanOrEqual(progress.nextIndex);
      } else {
        expect(next.matchIndex).toBe(progress.matchIndex);
        if (reply.conflict === undefined) expect(next).toEqual(progress);
        else
          expect(next.nextIndex).toBe(
            Math.max(progress.matchIndex + 1, nextIndexAfterConflict(reply.conflict, leaderLog)),
          );
      }
    }
  });
});
