/** The leadership rules of machines/leadership.ts as pure functions: pre-vote grants, check-quorum, transfers. */
import { describe, expect, it } from 'vitest';
import type { PeerProgress, PreVote, RaftContext } from '../../machines/index.js';
import {
  ArrayRaftLog,
  bestTransferTarget,
  canGrantPreVote,
  hasLostQuorum,
  initialContext,
  isTransferOverdue,
  isTransfereeCaughtUp,
  leaderWindowTicks,
  transferRefusal,
} from '../../machines/index.js';
import { TEST_TIMING, entriesWithTerms, membersOf } from './machine-harness.js';

/** Node a of a, b, c (and learner d), with `fields` over its initial context. */
function context(fields: Partial<RaftContext> = {}): RaftContext {
  const base = initialContext({
    id: 'a',
    peers: [],
    config: membersOf(['a', 'b', 'c'], ['d']),
    timing: TEST_TIMING,
  });
  return { ...base, ...fields };
}

const progress = (matchIndex: number): PeerProgress => ({
  nextIndex: matchIndex + 1,
  matchIndex,
  mode: 'replicate',
  probeRpcId: null,
});

function preVote(term: number, lastLogIndex: number, lastLogTerm: number): PreVote {
  return { type: 'PreVote', from: 'b', to: 'a', term, rpcId: 1, lastLogIndex, lastLogTerm };
}

describe('canGrantPreVote', () => {
  const node = context({ currentTerm: 2, log: new ArrayRaftLog(entriesWithTerms(1, 2)) });

  it('grants a later term to an up-to-date log, whatever the vote of this term', () => {
    expect(canGrantPreVote(node, preVote(3, 2, 2))).toBe(true);
    expect(canGrantPreVote({ ...node, votedFor: 'c' }, preVote(3, 5, 2))).toBe(true);
  });

  it('refuses this term or an earlier one, and a log behind', () => {
    expect(canGrantPreVote(node, preVote(2, 9, 9))).toBe(false);
    expect(canGrantPreVote(node, preVote(1, 9, 9))).toBe(false);
    expect(canGrantPreVote(node, preVote(3, 1, 2))).toBe(false);
    expect(canGrantPreVote(node, preVote(3, 9, 1))).toBe(false);
  });
});

describe('leaderWindowTicks', () => {
  it('is the minimum election timeout in whole heartbeat ticks, rounded up, at least one', () => {
    expect(
      leaderWindowTicks({ heartbeatIntervalMs: 100, electionTimeoutMinMs: 500, electionTimeoutMaxMs: 900 }),
    ).toBe(5);
    expect(
      leaderWindowTicks({ heartbeatIntervalMs: 150, electionTimeoutMinMs: 500, electionTimeoutMaxMs: 900 }),
    ).toBe(4);
    expect(
      leaderWindowTicks({ heartbeatIntervalMs: 800, electionTimeoutMinMs: 500, electionTimeoutMaxMs: 900 }),
    ).toBe(1);
  });
});

describe('hasLostQuorum', () => {
  it('is never judged before a whole window has passed', () => {
    expect(hasLostQuorum(context({ leaderTicks: 4 }))).toBe(false);
    expect(hasLostQuorum(context({ leaderTicks: 5 }))).toBe(true);
  });

  it('holds with one other voter heard within the window, itself included', () => {
    expect(hasLostQuorum(context({ leaderTicks: 9, heardAt: { b: 4 } }))).toBe(false);
    expect(hasLostQuorum(context({ leaderTicks: 10, heardAt: { b: 4 } }))).toBe(true);
    expect(hasLostQuorum(context({ leaderTicks: 10, heardAt: { b: 4, c: 9 } }))).toBe(false);
  });

  it('counts no learner, nor a member that left', () => {
    expect(hasLostQuorum(context({ leaderTicks: 10, heardAt: { d: 10, x: 10 } }))).toBe(true);
  });

  it('does not count the leader when it is not a voter (it removed itself)', () => {
    const removed = context({ config: membersOf(['b', 'c']), leaderTicks: 10, heardAt: { b: 10 } });
    expect(hasLostQuorum(removed)).toBe(true);
    expect(hasLostQuorum({ ...removed, heardAt: { b: 10, c: 8 } })).toBe(false);
  });

  it('a single voter never loses it', () => {
    expect(hasLostQuorum(context({ config: membersOf(['a']), leaderTicks: 100 }))).toBe(false);
  });
});

describe('transfers', () => {
  const log = new ArrayRaftLog(entriesWithTerms(1, 1, 1));

  it('is overdue once a whole window of ticks passed since it started', () => {
    const transfer = { to: 'b', sinceTick: 3, timeoutNowSent: false };
    expect(isTransferOverdue(context({ transfer, leaderTicks: 7 }))).toBe(false);
    expect(isTransferOverdue(context({ transfer, leaderTicks: 8 }))).toBe(true);
    expect(isTransferOverdue(context({ transfer: null, leaderTicks: 80 }))).toBe(false);
  });

  it("the target is caught up when it holds the leader's whole log and has not been told yet", () => {
    const transfer = { to: 'b', sinceTick: 0, timeoutNowSent: false };
    expect(isTransfereeCaughtUp(context({ log, transfer, progress: { b: progress(3) } }))).toBe(true);
    expect(isTransfereeCaughtUp(context({ log, transfer, progress: { b: progress(2) } }))).toBe(false);
    expect(
      isTransfereeCaughtUp(
        context({ log, transfer: { ...transfer, timeoutNowSent: true }, progress: { b: progress(3) } }),
      ),
    ).toBe(false);
    expect(isTransfereeCaughtUp(context({ log, transfer, progress: {} }))).toBe(false);
    expect(isTransfereeCaughtUp(context({ log, transfer: null, progress: { b: progress(3) } }))).toBe(false);
  });

  it('refuses itself, a non-voter, and a second transfer', () => {
    expect(transferRefusal(context(), 'b')).toBeNull();
    expect(transferRefusal(context(), 'a')).toBe('a leads already');
    expect(transferRefusal(context(), 'd')).toBe('d is not a voter of the configuration in force');
    expect(transferRefusal(context(), 'x')).toBe('x is not a voter of the configuration in force');
    const underWay = context({ transfer: { to: 'c', sinceTick: 0, timeoutNowSent: false } });
    expect(transferRefusal(underWay, 'b')).toBe('a transfer to c is under way');
  });

  it('with no target, goes to the most up-to-date other voter, the lowest id on a tie', () => {
    const voters = membersOf(['a', 'e', 'c', 'b'], ['d']);
    expect(
      bestTransferTarget(
        context({
          config: voters,
          progress: { b: progress(2), c: progress(5), e: progress(5), d: progress(9) },
        }),
      ),
    ).toBe('c');
    expect(
      bestTransferTarget(context({ config: voters, progress: { b: progress(2), e: progress(3) } })),
    ).toBe('e');
    expect(bestTransferTarget(context({ config: voters, progress: {} }))).toBe('b');
    expect(bestTransferTarget(context({ config: membersOf(['a'], ['d']) }))).toBeNull();
  });
});
