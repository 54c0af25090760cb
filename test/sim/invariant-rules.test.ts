/**
 * The rule checks safety rests on: a higher term adopted at once, a leader elected by a
 * durable quorum of its term, a leader committing by counting only entries of its term,
 * one vote per term.
 */
import { describe, expect, it } from 'vitest';
import type { NodeId, RaftContext } from '../../machines/index.js';
import { ArrayRaftLog } from '../../machines/index.js';
import { InvariantChecker, InvariantViolation } from '../../src/sim/invariants.js';

const MEMBERS = ['a', 'b', 'c', 'd', 'e'];

function context(term: number, options: { votedFor?: NodeId; commitIndex?: number; terms?: number[] } = {}) {
  return {
    currentTerm: term,
    votedFor: options.votedFor ?? null,
    commitIndex: options.commitIndex ?? 0,
    log: new ArrayRaftLog((options.terms ?? []).map((t, i) => ({ term: t, command: i }))),
  } as unknown as RaftContext;
}

/** A checker that saw `voters` durably vote for `candidate` in `term`. */
function withVotes(term: number, candidate: NodeId, voters: NodeId[]): InvariantChecker {
  const checker = new InvariantChecker(MEMBERS);
  for (const voter of voters) checker.observeDurable(voter, { currentTerm: term, votedFor: candidate });
  return checker;
}

describe('a higher term is adopted', () => {
  it('refuses a node that handled a message of a higher term and kept its own', () => {
    const checker = new InvariantChecker();
    const reply = { type: 'AppendEntriesReply', from: 'b', to: 'a', term: 5 };
    expect(() => checker.observeStep('a', 'leader', context(4), reply)).toThrow(
      /node a received AppendEntriesReply of term 5 from b but stayed in term 4/,
    );
  });

  it('accepts a message of a lower or equal term, and local events', () => {
    const checker = new InvariantChecker();
    checker.observeStep('a', 'follower', context(5), { type: 'AppendEntries', from: 'b', term: 5 });
    checker.observeStep('a', 'follower', context(5), { type: 'RequestVote', from: 'c', term: 3 });
    checker.observeStep('a', 'follower', context(5), { type: 'Propose' });
    checker.observeStep('a', 'follower', context(6), { type: 'RequestVote', from: 'c', term: 6 });
  });
});

describe('a leader holds a quorum of durable votes of its term', () => {
  it('accepts a leader with its own vote and two durable ones of five', () => {
    const checker = withVotes(3, 'a', ['b', 'c']);
    expect(() => checker.observeStep('a', 'leader', context(3, { votedFor: 'a' }))).not.toThrow();
  });

  it('refuses a leader that counted a vote of another term', () => {
    const checker = withVotes(3, 'a', ['b']);
    checker.observeDurable('c', { currentTerm: 2, votedFor: 'a' });
    expect(() => checker.observeStep('a', 'leader', context(3, { votedFor: 'a' }))).toThrow(
      /node a became leader of term 3 with the votes of \[b, a\] only; a quorum is 3/,
    );
  });

  it('skips the count when it does not know the members', () => {
    const checker = new InvariantChecker();
    expect(() => checker.observeStep('a', 'leader', context(3, { votedFor: 'a' }))).not.toThrow();
  });

  it('refuses a node that voted twice in one term', () => {
    const checker = withVotes(3, 'a', ['b']);
    checker.observeDurable('b', { currentTerm: 3, votedFor: 'a' });
    expect(() => checker.observeDurable('b', { currentTerm: 3, votedFor: 'c' })).toThrow(
      /node b voted twice in term 3: for a, then for c/,
    );
  });
});

describe('a leader commits by counting only entries of its own term', () => {
  it('refuses a leader whose commit index advanced to an older-term entry (Figure 8)', () => {
    const checker = withVotes(4, 'a', ['b', 'c']);
    const terms = [1, 2, 4];
    checker.observeStep('a', 'leader', context(4, { votedFor: 'a', terms, commitIndex: 1 }));
    expect(() =>
      checker.observeStep('a', 'leader', context(4, { votedFor: 'a', terms, commitIndex: 2 })),
    ).toThrow(/leader a of term 4 advanced its commit index to 2, an entry of term 2/);
  });

  it('accepts a commit that reaches an entry of its term, older entries with it', () => {
    const checker = withVotes(4, 'a', ['b', 'c']);
    const terms = [1, 2, 4];
    checker.observeStep('a', 'leader', context(4, { votedFor: 'a', terms, commitIndex: 1 }));
    checker.observeStep('a', 'leader', context(4, { votedFor: 'a', terms, commitIndex: 3 }));
  });

  it('does not hold a commit index a new leader brought with it against it', () => {
    const checker = withVotes(4, 'a', ['b', 'c']);
    checker.observeStep('a', 'follower', context(3, { terms: [1, 2], commitIndex: 2 }));
    checker.observeStep('a', 'leader', context(4, { votedFor: 'a', terms: [1, 2], commitIndex: 2 }));
    // And a restart forgets the leadership: the next life starts over.
    checker.observeRestart('a');
    expect(checker.checks).toBeGreaterThan(0);
  });
});

it('names its failures InvariantViolation', () => {
  const checker = new InvariantChecker();
  expect(() =>
    checker.observeStep('a', 'leader', context(1), { type: 'RequestVoteReply', from: 'b', term: 2 }),
  ).toThrow(InvariantViolation);
});
