/** A message leaves only once the sender's durable state backs it (VouchedReplies). */
import { describe, expect, it } from 'vitest';
import type { AppendEntries, RaftMessage } from '../../machines/index.js';
import { MemoryStorage } from '../../src/storage/memory-storage.js';
import { InvariantViolation } from '../../src/sim/invariants.js';
import { VouchedReplies } from '../../src/sim/vouched-replies.js';
import { requestVote, voteReply } from '../machines/machine-harness.js';

/** Durable state of term `term` with `vote`, holding entries of `terms` (after a snapshot at `base`). */
function durable(term: number, vote: string | null, terms: number[] = [], base = 0): MemoryStorage {
  const entries = terms.map((t, i) => ({ term: t, command: i }));
  const snapshot = base === 0 ? undefined : { index: base, term: 1, data: '' };
  return new MemoryStorage({
    hardState: { currentTerm: term, votedFor: vote },
    entries,
    ...(snapshot ? { snapshot } : {}),
  });
}

const append: AppendEntries = {
  type: 'AppendEntries',
  from: 'L',
  to: 'f',
  term: 2,
  rpcId: 7,
  prevLogIndex: 1,
  prevLogTerm: 1,
  entries: [{ term: 2, command: 'x' }],
  leaderCommit: 1,
};
const accepted: RaftMessage = {
  type: 'AppendEntriesReply',
  from: 'f',
  to: 'L',
  term: 2,
  inReplyTo: 7,
  success: true,
  matchIndex: 2,
};

describe('VouchedReplies', () => {
  it('refuses any message of a term not yet durable', () => {
    const check = new VouchedReplies();
    const refused: RaftMessage = { ...accepted, success: false };
    expect(() => check.observeSent('f', refused, durable(1, null))).toThrow(
      /node f sent AppendEntriesReply \(term 2\) to L before its term 2 was durable/,
    );
  });

  it('refuses a granted vote until the vote is durable, and accepts it then', () => {
    const check = new VouchedReplies();
    const vote = voteReply('f', 3, true); // to node a
    expect(() => check.observeSent('f', vote, durable(3, null))).toThrow(/before its vote for a/);
    expect(() => check.observeSent('f', vote, durable(3, 'a'))).not.toThrow();
    expect(() => check.observeSent('f', vote, durable(4, null))).not.toThrow();
  });

  it("refuses a candidate's RequestVote before its vote for itself is durable", () => {
    const check = new VouchedReplies();
    const request = requestVote('c', 3);
    expect(() => check.observeSent('c', request, durable(3, null))).toThrow(InvariantViolation);
    expect(() => check.observeSent('c', request, durable(3, 'c'))).not.toThrow();
  });

  it('refuses an acceptance before the log through matchIndex is durable', () => {
    const check = new VouchedReplies();
    check.observeDelivered(append);
    expect(() => check.observeSent('f', accepted, durable(2, null, [1]))).toThrow(/before its log through 2/);
    expect(() => check.observeSent('f', accepted, durable(2, null, [1, 2]))).not.toThrow();
  });

  it('refuses an acceptance when the durable entry there is of another term', () => {
    const check = new VouchedReplies();
    check.observeDelivered(append);
    expect(() => check.observeSent('f', accepted, durable(2, null, [1, 1]))).toThrow(
      /before entry 2 of term 2 \(it holds term 1 there\)/,
    );
  });

  it('accepts an acceptance a durable snapshot covers', () => {
    const check = new VouchedReplies();
    check.observeDelivered(append);
    expect(() => check.observeSent('f', accepted, durable(2, null, [], 5))).not.toThrow();
  });

  it('refuses an installed snapshot reported before it is durable', () => {
    const check = new VouchedReplies();
    const installed: RaftMessage = {
      type: 'InstallSnapshotReply',
      from: 'f',
      to: 'L',
      term: 2,
      inReplyTo: 9,
      matchIndex: 5,
    };
    expect(() => check.observeSent('f', installed, durable(2, null, [1]))).toThrow(/the snapshot through 5/);
    expect(() => check.observeSent('f', installed, durable(2, null, [], 5))).not.toThrow();
  });
});
