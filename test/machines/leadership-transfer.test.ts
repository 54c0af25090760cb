/**
 * Leadership transfer (the Raft thesis, section 3.10) on the pure step: the leader brings the
 * target up to date, sends it TimeoutNow and takes no proposal meanwhile, giving up after its
 * window (5 heartbeat ticks here); the target campaigns at once, past pre-vote and stickiness.
 */
import { describe, expect, it } from 'vitest';
import type { TimeoutNow } from '../../machines/index.js';
import { leaderWindowTicks } from '../../machines/index.js';
import { StepNode, TEST_TIMING, appendEntries, membersOf, requestVote } from './machine-harness.js';

const WINDOW = leaderWindowTicks(TEST_TIMING);

/** Node a, leader of term 1, its no-op (index 1) durable and on b and c: all committed. */
function committedLeader(options: ConstructorParameters<typeof StepNode>[0] = {}) {
  const node = new StepNode(options);
  node.lead();
  node.commitAll();
  return node;
}

describe('the leader of a transfer', () => {
  it('sends TimeoutNow at once to a target that holds its whole log', () => {
    const node = committedLeader();
    const rpcId = node.context.nextRpcId;
    const started = node.send({ type: 'TransferLeadership', to: 'b' });
    expect(started.messages).toEqual([{ type: 'TimeoutNow', from: 'a', to: 'b', term: 1, rpcId }]);
    expect(node.context.transfer).toEqual({ to: 'b', sinceTick: 0, timeoutNowSent: true });
    expect(node.context.nextRpcId).toBe(rpcId + 1);
    expect(node.role).toBe('leader');
  });

  it('waits for a lagging target to catch up, then sends TimeoutNow once', () => {
    const node = committedLeader();
    node.send({ type: 'Propose', commands: ['x', 'y'] });
    node.send({ type: 'Flush' });
    node.acceptFrom('b', 3);
    const asked = node.send({ type: 'TransferLeadership', to: 'c' });
    expect(asked.messages).toEqual([]);
    expect(node.context.transfer).toEqual({ to: 'c', sinceTick: 0, timeoutNowSent: false });
    expect(node.acceptFrom('c', 2).messages.filter((m) => m.type === 'TimeoutNow')).toEqual([]);
    const caughtUp = node.acceptFrom('c', 3);
    expect(caughtUp.messages.filter((m) => m.type === 'TimeoutNow')).toMatchObject([{ to: 'c', term: 1 }]);
    expect(node.context.transfer?.timeoutNowSent).toBe(true);
    expect(node.acceptFrom('c', 3).messages.filter((m) => m.type === 'TimeoutNow')).toEqual([]);
  });

  it('takes no proposal while the transfer is under way', () => {
    const node = committedLeader();
    node.send({ type: 'TransferLeadership', to: 'c' });
    const { lastIndex } = node.context.log;
    const ignored = node.send({ type: 'Propose', commands: ['x'] });
    expect(ignored.logEdits).toEqual([]);
    expect(node.context.log.lastIndex).toBe(lastIndex);
  });

  it('ignores a transfer to itself, to a non-voter, or while one is under way', () => {
    const node = committedLeader({ config: membersOf(['a', 'b', 'c'], ['d']) });
    for (const to of ['a', 'd', 'zed']) {
      const ignored = node.send({ type: 'TransferLeadership', to });
      expect(ignored.messages, to).toEqual([]);
      expect(node.context.transfer, to).toBeNull();
    }
    node.send({ type: 'TransferLeadership', to: 'b' });
    expect(node.send({ type: 'TransferLeadership', to: 'c' }).messages).toEqual([]);
    expect(node.context.transfer?.to).toBe('b');
  });

  it('gives up after its window of heartbeat ticks, and takes proposals again', () => {
    const node = committedLeader();
    node.tick(2);
    node.send({ type: 'TransferLeadership', to: 'b' });
    expect(node.context.transfer?.sinceTick).toBe(2);
    node.tick(WINDOW);
    expect(node.context.transfer).not.toBeNull();
    node.tick();
    expect(node.context.transfer).toBeNull();
    expect(node.role).toBe('leader');
    expect(node.send({ type: 'Propose', commands: ['x'] }).logEdits).toHaveLength(1);
  });

  it("steps down for the target's election, even with check-quorum on", () => {
    const node = committedLeader({ features: { checkQuorum: true, preVote: true } });
    node.send({ type: 'TransferLeadership', to: 'b' });
    const vote = node.send({ ...requestVote('b', 2, { index: 1, term: 1 }), transfer: true });
    expect(vote.messages).toMatchObject([{ type: 'RequestVoteReply', voteGranted: true, term: 2 }]);
    expect(node.role).toBe('follower');
  });
});

/** A TimeoutNow of `term` from leader a to `to`. */
function timeoutNow(to: string, term: number): TimeoutNow {
  return { type: 'TimeoutNow', from: 'a', to, term, rpcId: 90 };
}

describe('the target of a transfer', () => {
  it('campaigns at once, its RequestVotes marked as a transfer, pre-vote or not', () => {
    for (const features of [{}, { preVote: true, checkQuorum: true }]) {
      const node = new StepNode({ id: 'b', peers: ['a', 'c'], features });
      node.send({ ...appendEntries('a', 1), to: 'b' });
      expect(node.value).toEqual({ follower: { waiting: 'leased' } });
      const campaign = node.send(timeoutNow('b', 1));
      const where = JSON.stringify(features);
      expect(node.role, where).toBe('candidate');
      expect(node.context, where).toMatchObject({ currentTerm: 2, votedFor: 'b', campaignTransfer: false });
      expect(campaign.messages, where).toMatchObject([
        { type: 'RequestVote', to: 'a', term: 2, transfer: true },
        { type: 'RequestVote', to: 'c', term: 2, transfer: true },
      ]);
    }
  });

  it('campaigns as usual when that election times out: the mark was for one election', () => {
    const node = new StepNode({ id: 'b', peers: ['a', 'c'] });
    node.send(timeoutNow('b', 1));
    const again = node.fire('electionTimeout');
    expect(again.messages).toHaveLength(2);
    for (const request of again.messages) expect(request).not.toHaveProperty('transfer');
  });

  it('ignores it as a learner, or when it is of an older term', () => {
    const learner = new StepNode({ id: 'd', config: membersOf(['a', 'b', 'c'], ['d']) });
    expect(learner.send(timeoutNow('d', 1)).messages).toEqual([]);
    expect(learner.role).toBe('follower');
    const ahead = new StepNode({ id: 'b', peers: ['a', 'c'], hardState: { currentTerm: 3, votedFor: null } });
    expect(ahead.send(timeoutNow('b', 2)).messages).toEqual([]);
    expect(ahead.role).toBe('follower');
  });

  it('a pre-candidate campaigns at once too', () => {
    const node = new StepNode({ id: 'b', peers: ['a', 'c'], features: { preVote: true } });
    node.fire('electionTimeout');
    expect(node.role).toBe('preCandidate');
    node.send(timeoutNow('b', 0));
    expect(node.role).toBe('candidate');
    expect(node.context.currentTerm).toBe(1);
  });
});
