/**
 * Leader stickiness (the Raft thesis, section 6.2) on the pure step: with check-quorum on,
 * a node that heard from its leader within the minimum election timeout (follower.waiting.leased)
 * refuses a RequestVote without adopting its term, unless the leader asked for the election.
 */
import { describe, expect, it } from 'vitest';
import { StepNode, appendEntries, requestVote } from './machine-harness.js';

const CHECK_QUORUM = { checkQuorum: true };

/** Node a, following b in term 1, within its lease. */
function leasedFollower(features: { checkQuorum?: boolean; preVote?: boolean } = CHECK_QUORUM) {
  const node = new StepNode({ features });
  node.send(appendEntries('b', 1));
  expect(node.value).toEqual({ follower: { waiting: 'leased' } });
  expect(node.context.leaderId).toBe('b');
  return node;
}

describe('leader stickiness', () => {
  it('a leased follower refuses a higher-term vote, keeping its term, vote and timers', () => {
    const node = leasedFollower();
    const request = requestVote('c', 2, { index: 5, term: 1 });
    const refused = node.send(request);
    expect(refused.messages).toEqual([
      { type: 'RequestVoteReply', from: 'a', to: 'c', term: 1, inReplyTo: request.rpcId, voteGranted: false },
    ]);
    expect(node.context).toMatchObject({ currentTerm: 1, votedFor: null, leaderId: 'b' });
    expect(refused.hardState).toBeNull();
    expect(refused.timers).toEqual([]);
    expect(node.value).toEqual({ follower: { waiting: 'leased' } });
  });

  it('grants once the lease lapsed without word from the leader', () => {
    const node = leasedFollower();
    node.fire('leaderLease');
    expect(node.value).toEqual({ follower: { waiting: 'lapsed' } });
    const granted = node.send(requestVote('c', 2));
    expect(granted.messages).toMatchObject([{ voteGranted: true, term: 2 }]);
    expect(node.context).toMatchObject({ currentTerm: 2, votedFor: 'c', leaderId: null });
    // Granting restarts both timers: waiting is entered again, leased first.
    expect(node.value).toEqual({ follower: { waiting: 'leased' } });
    expect(node.pendingTimers()).toEqual(['electionTimeout', 'leaderLease']);
  });

  it("a heartbeat renews the lease: the leader's requests keep it leased", () => {
    const node = leasedFollower();
    node.fire('leaderLease');
    node.send(appendEntries('b', 1));
    expect(node.value).toEqual({ follower: { waiting: 'leased' } });
    expect(node.send(requestVote('c', 2)).messages).toMatchObject([{ voteGranted: false, term: 1 }]);
  });

  it('grants an election the leader asked for (transfer) even within the lease', () => {
    const node = leasedFollower();
    const granted = node.send({ ...requestVote('c', 2), transfer: true });
    expect(granted.messages).toMatchObject([{ voteGranted: true, term: 2 }]);
    expect(node.context).toMatchObject({ currentTerm: 2, votedFor: 'c' });
  });

  it('a leased follower that knows no leader votes as usual', () => {
    const node = new StepNode({ features: CHECK_QUORUM });
    expect(node.value).toEqual({ follower: { waiting: 'leased' } });
    expect(node.send(requestVote('c', 1)).messages).toMatchObject([{ voteGranted: true, term: 1 }]);
  });

  it('does not apply without check-quorum, pre-vote or not', () => {
    for (const features of [{}, { preVote: true }]) {
      const node = leasedFollower(features);
      expect(node.send(requestVote('c', 2)).messages, JSON.stringify(features)).toMatchObject([
        { voteGranted: true, term: 2 },
      ]);
      expect(node.context.currentTerm).toBe(2);
    }
  });

  it('holds for a leader too: it refuses without stepping down, but grants a transfer', () => {
    const node = new StepNode({ features: CHECK_QUORUM });
    node.lead();
    const refused = node.send(requestVote('c', 5, { index: 9, term: 4 }));
    expect(refused.messages).toMatchObject([{ voteGranted: false, term: 1 }]);
    expect(node.role).toBe('leader');
    expect(node.context.currentTerm).toBe(1);
    const granted = node.send({ ...requestVote('b', 5, { index: 9, term: 4 }), transfer: true });
    expect(granted.messages).toMatchObject([{ voteGranted: true, term: 5 }]);
    expect(node.role).toBe('follower');
    expect(node.context).toMatchObject({ currentTerm: 5, votedFor: 'b' });
  });

  it('a leader without check-quorum steps down for a higher-term vote', () => {
    const node = new StepNode();
    node.lead();
    expect(node.send(requestVote('c', 5, { index: 9, term: 4 })).messages).toMatchObject([
      { voteGranted: true, term: 5 },
    ]);
    expect(node.role).toBe('follower');
  });
});
