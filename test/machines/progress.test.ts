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

/** A rejection of request `inReplyTo` (by default the probe below, rpcId 1). */
function rejected(conflict?: ConflictHint, inReplyTo = 1): AppendEntriesReply {
  return {
    type: 'AppendEntriesReply',
    from: 'b',
    to: 'a',
    term: 5,
    inReplyTo,
    success: false,
    ...(conflict ? { conflict } : {}),
  };
}

/** Probe mode with request 1 outstanding. */
function probing(nextIndex: number, matchIndex: number, probeRpcId: number | null = 1): PeerProgress {
  return { nextIndex, matchIndex, mode: 'probe', probeRpcId };
}

function streaming(nextIndex: number, matchIndex: number): PeerProgress {
  return { nextIndex, matchIndex, mode: 'replicate', probeRpcId: null };
}

/** A follower's conflict hint: the term at prevLogIndex, where that term starts, its log length. */
function conflictHint(conflictTerm: number, conflictIndex: number, logLength: number): ConflictHint {
  return { conflictTerm, conflictIndex, logLength };
}

/** The leader's progress for a follower after it rejects with `conflict`, against leaderLog. */
function afterRejection(progress: PeerProgress, conflict: ConflictHint): PeerProgress | null {
  return progressAfterReply(progress, rejected(conflict), leaderLog);
}

// Terms by index:     1  2  3  4  5  6  7  8  9  10
const leaderLog = logOf(1, 1, 1, 4, 4, 5, 5, 6, 6, 6);

describe('initialProgress', () => {
  it('starts every peer probing at nextIndex = lastIndex + 1, matchIndex 0, no probe sent yet', () => {
    expect(initialProgress(['b', 'c'], leaderLog)).toEqual({
      b: probing(11, 0, null),
      c: probing(11, 0, null),
    });
    expect(initialProgress(['b'], new ArrayRaftLog())).toEqual({ b: probing(1, 0, null) });
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
  it('takes matchIndex from a success, sets nextIndex just past it, and starts streaming', () => {
    expect(progressAfterReply(probing(3, 0), accepted(7), leaderLog)).toEqual(streaming(8, 7));
  });

  it('never lowers matchIndex or nextIndex on a stale success', () => {
    expect(progressAfterReply(streaming(9, 8), accepted(5), leaderLog)).toEqual(streaming(9, 8));
    expect(progressAfterReply(streaming(11, 4), accepted(6), leaderLog)).toEqual(streaming(11, 6));
  });

  it('ignores a rejection without a conflict hint (a stale term)', () => {
    expect(progressAfterReply(probing(6, 3), rejected(), leaderLog)).toBeNull();
    expect(progressAfterReply(streaming(6, 3), rejected(), leaderLog)).toBeNull();
  });

  it('ignores a rejection that does not answer the outstanding probe', () => {
    expect(progressAfterReply(probing(11, 0, 7), rejected(conflictHint(4, 4, 7), 6), leaderLog)).toBeNull();
    expect(
      progressAfterReply(probing(11, 0, null), rejected(conflictHint(4, 4, 7), 6), leaderLog),
    ).toBeNull();
  });

  it('backs nextIndex up with the hint, keeping matchIndex, ready for a new probe', () => {
    const progress = probing(11, 0);
    expect(afterRejection(progress, conflictHint(4, 4, 7))).toEqual(probing(6, 0, null));
    expect(afterRejection(progress, conflictHint(0, 3, 2))).toEqual(probing(3, 0, null));
    expect(afterRejection(progress, conflictHint(2, 2, 5))).toEqual(probing(2, 0, null));
  });

  it('falls back from streaming to probing on a rejection, whichever request it answers', () => {
    expect(progressAfterReply(streaming(11, 5), rejected(conflictHint(0, 8, 7), 42), leaderLog)).toEqual(
      probing(8, 5, null),
    );
  });

  it('never backs nextIndex up below matchIndex + 1, nor past the end of the leader log', () => {
    expect(afterRejection(probing(9, 6), conflictHint(2, 2, 5))).toEqual(probing(7, 6, null));
    expect(afterRejection(probing(9, 5), conflictHint(0, 1, 0))).toEqual(probing(6, 5, null));
    expect(afterRejection(probing(11, 0), conflictHint(0, 15, 14))).toEqual(probing(11, 0, null));
  });

  it('keeps its invariants over random replies', () => {
    const random = new SeededRandom(6, 'progress');
    for (let trial = 0; trial < 5000; trial++) {
      const matchIndex = random.int(10);
      const nextIndex = matchIndex + 1 + random.int(10 - matchIndex);
      const progress = random.chance(1, 2)
        ? probing(nextIndex, matchIndex, random.int(2))
        : streaming(nextIndex, matchIndex);
      const hint =
        random.int(5) === 0
          ? undefined
          : { conflictTerm: random.int(7), conflictIndex: 1 + random.int(9), logLength: random.int(10) };
      const reply = random.int(2) === 0 ? accepted(random.int(10)) : rejected(hint, random.int(2));
      const next = progressAfterReply(progress, reply, leaderLog);
      if (reply.success) {
        expect(next).toEqual(
          streaming(
            Math.max(progress.nextIndex, progress.matchIndex + 1, reply.matchIndex + 1),
            Math.max(progress.matchIndex, reply.matchIndex),
          ),
        );
        continue;
      }
      const counts =
        reply.conflict !== undefined &&
        (progress.mode === 'replicate' ||
          (progress.probeRpcId !== null && reply.inReplyTo >= progress.probeRpcId));
      if (!counts) {
        expect(next).toBeNull();
        continue;
      }
      const backedUp = Math.max(progress.matchIndex + 1, nextIndexAfterConflict(reply.conflict!, leaderLog));
      expect(next).toEqual(probing(Math.min(backedUp, leaderLog.lastIndex + 1), progress.matchIndex, null));
    }
  });
});
