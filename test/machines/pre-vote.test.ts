/**
 * Pre-vote (the Raft thesis, section 9.6) on one node driven by the pure step: a node whose
 * election timer fires polls at currentTerm + 1 without moving to it, and campaigns only
 * with a quorum of pre-votes; a receiver grants one without changing its term, vote or timers.
 */
import { describe, expect, it } from 'vitest';
import type { PreVote, PreVoteReply, RaftMessage } from '../../machines/index.js';
import { StepNode, appendEntries, entriesWithTerms } from './machine-harness.js';

const PRE_VOTE = { preVote: true };

/** Node a (pre-vote on) whose election timer fired: a pre-candidate, and the step that made it one. */
function polling(options: ConstructorParameters<typeof StepNode>[0] = {}) {
  const node = new StepNode({ features: PRE_VOTE, ...options });
  const result = node.fire('electionTimeout');
  return { node, result };
}

function preVotesIn(messages: readonly RaftMessage[]): PreVote[] {
  return messages.filter((m): m is PreVote => m.type === 'PreVote');
}

/** A voter's answer to `request`, with the voter's own term (the request's term - 1 unless given). */
function preVoteReply(request: PreVote, voteGranted: boolean, term = request.term - 1): PreVoteReply {
  return {
    type: 'PreVoteReply',
    from: request.to,
    to: request.from,
    term,
    inReplyTo: request.rpcId,
    voteGranted,
  };
}

let rpcIds = 7000;

function preVote(from: string, term: number, last = { index: 0, term: 0 }): PreVote {
  return {
    type: 'PreVote',
    from,
    to: 'a',
    term,
    rpcId: rpcIds++,
    lastLogIndex: last.index,
    lastLogTerm: last.term,
  };
}

describe('a node with pre-vote whose election timer fires', () => {
  it('polls every voter at currentTerm + 1, its term and vote unchanged', () => {
    const { node, result } = polling({
      hardState: { currentTerm: 3, votedFor: 'b' },
      entries: entriesWithTerms(1, 3),
    });
    expect(node.role).toBe('preCandidate');
    expect(node.value).toEqual({ preCandidate: 'polling' });
    const ask = { type: 'PreVote', from: 'a', term: 4, lastLogIndex: 2, lastLogTerm: 3 };
    expect(result.messages).toEqual([
      { ...ask, to: 'b', rpcId: 1 },
      { ...ask, to: 'c', rpcId: 2 },
    ]);
    expect(node.context).toMatchObject({ currentTerm: 3, votedFor: 'b', leaderId: null, votes: ['a'] });
    // Nothing to make durable: polling is not campaigning.
    expect(result.hardState).toBeNull();
    expect(result.logEdits).toEqual([]);
    expect(node.pendingTimers()).toEqual(['electionTimeout']);
  });

  it('campaigns in term + 1 once a quorum granted, asking for real votes', () => {
    const { node, result } = polling();
    const [toB] = preVotesIn(result.messages);
    const won = node.send(preVoteReply(toB!, true));
    expect(node.role).toBe('candidate');
    expect(node.context).toMatchObject({ currentTerm: 1, votedFor: 'a', votes: ['a'] });
    expect(won.hardState).toEqual({ currentTerm: 1, votedFor: 'a' });
    expect(won.messages.map((m) => [m.type, m.to, m.term])).toEqual([
      ['RequestVote', 'b', 1],
      ['RequestVote', 'c', 1],
    ]);
  });

  it('does not campaign on refusals, nor on one grant counted twice', () => {
    const { node, result } = polling({ peers: ['b', 'c', 'd', 'e'] });
    const [toB, toC, toD] = preVotesIn(result.messages);
    node.send(preVoteReply(toB!, true));
    node.send(preVoteReply(toB!, true));
    node.send(preVoteReply(toC!, false));
    expect(node.role).toBe('preCandidate');
    expect(node.context.votes).toEqual(['a', 'b']);
    node.send(preVoteReply(toD!, true));
    expect(node.role).toBe('candidate');
  });

  it('counts no reply of an earlier round: a poll that timed out starts afresh', () => {
    const { node, result: first } = polling();
    const again = node.fire('electionTimeout');
    expect(node.role).toBe('preCandidate');
    const [oldToB] = preVotesIn(first.messages);
    const [newToB] = preVotesIn(again.messages);
    expect(newToB!.rpcId).toBeGreaterThan(oldToB!.rpcId);
    expect(node.context.preVoteRound).toBe(newToB!.rpcId);
    node.send(preVoteReply(oldToB!, true));
    expect(node.role).toBe('preCandidate');
    expect(node.context.votes).toEqual(['a']);
    node.send(preVoteReply(newToB!, true));
    expect(node.role).toBe('candidate');
  });

  it('steps down to a follower of the higher term a refusal carries', () => {
    const { node, result } = polling();
    const [toB] = preVotesIn(result.messages);
    const refused = node.send(preVoteReply(toB!, false, 5));
    expect(node.role).toBe('follower');
    expect(node.context).toMatchObject({ currentTerm: 5, votedFor: null });
    expect(refused.hardState).toEqual({ currentTerm: 5, votedFor: null });
  });

  it('follows a leader of its term that shows up while it polls', () => {
    const { node } = polling({ hardState: { currentTerm: 2, votedFor: null } });
    const request = appendEntries('b', 2);
    const out = node.send(request);
    expect(node.role).toBe('follower');
    expect(node.context).toMatchObject({ currentTerm: 2, leaderId: 'b' });
    expect(out.messages).toMatchObject([
      { type: 'AppendEntriesReply', inReplyTo: request.rpcId, success: true },
    ]);
  });

  it('without pre-vote, campaigns at once in the next term', () => {
    const node = new StepNode();
    const result = node.fire('electionTimeout');
    expect(node.role).toBe('candidate');
    expect(node.context.currentTerm).toBe(1);
    expect(result.messages.map((m) => m.type)).toEqual(['RequestVote', 'RequestVote']);
  });

  it('a candidate whose election times out polls again rather than raise its term', () => {
    const { node, result } = polling();
    node.send(preVoteReply(preVotesIn(result.messages)[0]!, true));
    expect(node.role).toBe('candidate');
    const timedOut = node.fire('electionTimeout');
    expect(node.role).toBe('preCandidate');
    expect(node.context).toMatchObject({ currentTerm: 1, votedFor: 'a' });
    expect(timedOut.messages.map((m) => [m.type, m.term])).toEqual([
      ['PreVote', 2],
      ['PreVote', 2],
    ]);
    expect(timedOut.hardState).toBeNull();
  });

  it('a lone voter polls itself and leads in the same step', () => {
    const node = new StepNode({ peers: [], features: PRE_VOTE });
    node.fire('electionTimeout');
    expect(node.role).toBe('leader');
    expect(node.context.currentTerm).toBe(1);
  });
});

describe('a node asked for a pre-vote', () => {
  it('grants one for a later term and an up-to-date log, changing no term, vote or timer', () => {
    const node = new StepNode({
      hardState: { currentTerm: 2, votedFor: 'c' },
      entries: entriesWithTerms(1, 2),
    });
    const timers = node.state.timers;
    const request = preVote('b', 3, { index: 2, term: 2 });
    const answered = node.send(request);
    expect(answered.messages).toEqual([
      { type: 'PreVoteReply', from: 'a', to: 'b', term: 2, inReplyTo: request.rpcId, voteGranted: true },
    ]);
    expect(node.context).toMatchObject({ currentTerm: 2, votedFor: 'c' });
    expect(answered.hardState).toBeNull();
    expect(answered.timers).toEqual([]);
    expect(node.state.timers).toEqual(timers);
  });

  it('refuses one for its own term or an earlier one', () => {
    const node = new StepNode({ hardState: { currentTerm: 2, votedFor: null } });
    expect(node.send(preVote('b', 2)).messages).toMatchObject([{ voteGranted: false, term: 2 }]);
    expect(node.send(preVote('b', 1)).messages).toMatchObject([{ voteGranted: false, term: 2 }]);
  });

  it('refuses a candidate whose log is behind (last term first, then length)', () => {
    const node = new StepNode({ entries: entriesWithTerms(1, 2, 2) });
    expect(node.send(preVote('b', 5, { index: 9, term: 1 })).messages).toMatchObject([
      { voteGranted: false },
    ]);
    expect(node.send(preVote('b', 5, { index: 2, term: 2 })).messages).toMatchObject([
      { voteGranted: false },
    ]);
    expect(node.send(preVote('b', 5, { index: 3, term: 2 })).messages).toMatchObject([{ voteGranted: true }]);
    expect(node.context.currentTerm).toBe(0);
  });

  it('refuses while it holds to a leader it heard from, and grants once the lease lapsed', () => {
    const node = new StepNode();
    node.send(appendEntries('b', 1));
    expect(node.value).toEqual({ follower: { waiting: 'leased' } });
    const leased = node.send(preVote('c', 2));
    expect(leased.messages).toMatchObject([{ type: 'PreVoteReply', voteGranted: false, term: 1 }]);
    expect(leased.timers).toEqual([]);
    node.fire('leaderLease');
    expect(node.value).toEqual({ follower: { waiting: 'lapsed' } });
    expect(node.send(preVote('c', 2)).messages).toMatchObject([{ voteGranted: true, term: 1 }]);
    expect(node.context).toMatchObject({ currentTerm: 1, leaderId: 'b' });
  });

  it('as a leader, always refuses, keeping its term', () => {
    const node = new StepNode({ features: PRE_VOTE });
    node.lead();
    const term = node.context.currentTerm;
    const refused = node.send(preVote('c', term + 5, { index: 9, term: term + 4 }));
    expect(refused.messages).toMatchObject([{ type: 'PreVoteReply', voteGranted: false, term }]);
    expect(node.role).toBe('leader');
    expect(node.context.currentTerm).toBe(term);
  });

  it('as a candidate or pre-candidate, grants by the same rule, staying what it is', () => {
    const candidate = new StepNode();
    candidate.fire('electionTimeout');
    expect(candidate.send(preVote('b', 2)).messages).toMatchObject([{ voteGranted: true, term: 1 }]);
    expect(candidate.send(preVote('b', 1)).messages).toMatchObject([{ voteGranted: false }]);
    expect(candidate.role).toBe('candidate');
    const { node: pre } = polling();
    expect(pre.send(preVote('b', 1)).messages).toMatchObject([{ voteGranted: true, term: 0 }]);
    expect(pre.role).toBe('preCandidate');
    expect(pre.context.currentTerm).toBe(0);
  });
});
