/**
 * The rule checks safety rests on: a higher term adopted at once, a leader elected by a
 * durable quorum of its term, a leader committing by counting only entries of its term,
 * one vote per term; and across membership changes: one leader per term whoever joined, no
 * commit without a quorum of the configuration in force, no campaign by a non-voter.
 */
import { describe, expect, it } from 'vitest';
import type { ClusterConfig, NodeId, RaftContext } from '../../machines/index.js';
import { ArrayRaftLog } from '../../machines/index.js';
import { InvariantChecker, InvariantViolation } from '../../src/sim/invariants.js';

const MEMBERS = ['a', 'b', 'c', 'd', 'e'];

interface ContextOptions {
  votedFor?: NodeId;
  commitIndex?: number;
  terms?: number[];
  /** How far the node's own writes were reported durable; default its whole log. */
  persistedIndex?: number;
  /** The configuration in force; absent, the checker counts against its members. */
  voters?: NodeId[];
  learners?: NodeId[];
  configIndex?: number;
}

function context(term: number, options: ContextOptions = {}) {
  const terms = options.terms ?? [];
  const config: ClusterConfig | undefined =
    options.voters === undefined
      ? undefined
      : { voters: options.voters, learners: options.learners ?? [], addresses: {} };
  return {
    currentTerm: term,
    votedFor: options.votedFor ?? null,
    commitIndex: options.commitIndex ?? 0,
    persistedIndex: options.persistedIndex ?? terms.length,
    log: new ArrayRaftLog(terms.map((t, i) => ({ term: t, command: i }))),
    ...(config === undefined ? {} : { config, configIndex: options.configIndex ?? 0 }),
  } as unknown as RaftContext;
}

/** A durable view holding `terms` (a DurableView, as a simulated node's disk is). */
function disk(terms: number[]) {
  return {
    hardState: { currentTerm: terms.at(-1) ?? 0, votedFor: null },
    lastIndex: terms.length,
    termAt: (index: number) => (index === 0 ? 0 : terms[index - 1]),
  };
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

  it("exempts a PreVote's term, and a RequestVote refused by leader stickiness (check-quorum)", () => {
    const checker = new InvariantChecker();
    checker.observeStep('a', 'follower', context(5), { type: 'PreVote', from: 'c', term: 6 });
    const sticky = { ...context(5), leaderId: 'b', features: { preVote: true, checkQuorum: true } };
    checker.observeStep('a', 'follower', sticky, { type: 'RequestVote', from: 'c', term: 6 });
    // Not exempt: a transfer's election, no leader heard from, or check-quorum off.
    const vote = { type: 'RequestVote', from: 'c', term: 6 };
    expect(() => checker.observeStep('a', 'follower', sticky, { ...vote, transfer: true })).toThrow(
      /received RequestVote of term 6 from c but stayed in term 5/,
    );
    expect(() => checker.observeStep('a', 'follower', { ...sticky, leaderId: null }, vote)).toThrow(/stayed/);
    const paper = { ...sticky, features: { preVote: false, checkQuorum: false } };
    expect(() => checker.observeStep('a', 'follower', paper, vote)).toThrow(/stayed/);
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
      /node a became leader of term 3 with the votes of \[b, a\] only of voters \[a, b, c, d, e\]; a quorum is 3/,
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
    // Two followers hold entry 3 too: with the leader, a quorum of five.
    for (const follower of ['b', 'c']) checker.observeStep(follower, 'follower', context(4, { terms }));
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

describe('election safety across configurations', () => {
  it('refuses a second leader of a term when the second is a node added later', () => {
    // No members given: election safety needs none, and covers any node it sees.
    const checker = new InvariantChecker();
    checker.observeStep('a', 'leader', context(6, { votedFor: 'a', voters: MEMBERS }));
    // f joined after the checker was built: it is in no list of members, only in configurations.
    expect(() =>
      checker.observeStep('f', 'leader', context(6, { votedFor: 'f', voters: [...MEMBERS, 'f'] })),
    ).toThrow(/two leaders in term 6: a and f/);
  });

  it("counts a leader's votes against its own configuration's voters, not the first members", () => {
    const checker = withVotes(2, 'f', ['a', 'b']);
    // Three of the six voters of a grown configuration are not a quorum (four are).
    expect(() =>
      checker.observeStep('f', 'leader', context(2, { votedFor: 'f', voters: [...MEMBERS, 'f'] })),
    ).toThrow(/votes of \[a, b, f\] only of voters \[a, b, c, d, e, f\]; a quorum is 4/);
    // And a vote from a node outside the configuration does not count.
    const learnerVote = withVotes(2, 'a', ['b', 'x']);
    expect(() =>
      learnerVote.observeStep(
        'a',
        'leader',
        context(2, { votedFor: 'a', voters: ['a', 'b', 'c'], learners: ['x'] }),
      ),
    ).not.toThrow();
    const outsider = withVotes(2, 'a', ['x']);
    expect(() =>
      outsider.observeStep(
        'a',
        'leader',
        context(2, { votedFor: 'a', voters: ['a', 'b', 'c'], learners: ['x'] }),
      ),
    ).toThrow(/votes of \[a\] only of voters \[a, b, c\]/);
  });
});

describe('no decision without a quorum of the configuration in force', () => {
  const terms = [1, 1];

  it('refuses a leader that commits an entry only it and one other of five hold', () => {
    const checker = withVotes(1, 'a', ['b', 'c']);
    checker.observeStep('a', 'leader', context(1, { votedFor: 'a', terms, commitIndex: 1 }));
    checker.observeStep('b', 'follower', context(1, { terms }));
    checker.observeStep('c', 'follower', context(1, { terms: [1] }));
    expect(() =>
      checker.observeStep('a', 'leader', context(1, { votedFor: 'a', terms, commitIndex: 2 })),
    ).toThrow(
      /leader a of term 1 committed entry 2 held by \[a, b\] only of voters \[a, b, c, d, e\]; a quorum is 3/,
    );
  });

  it("counts the voters of the leader's configuration: a quorum of the old one is not enough after a change", () => {
    const checker = withVotes(1, 'a', ['b', 'c']);
    const voters = ['a', 'b', 'c', 'd'];
    checker.observeStep('a', 'leader', context(1, { votedFor: 'a', terms, commitIndex: 1, voters }));
    checker.observeStep('b', 'follower', context(1, { terms }));
    // a and b are two of three (a quorum of the old configuration) but not of the four in force.
    expect(() =>
      checker.observeStep('a', 'leader', context(1, { votedFor: 'a', terms, commitIndex: 2, voters })),
    ).toThrow(/held by \[a, b\] only of voters \[a, b, c, d\]; a quorum is 3/);
    checker.observeStep('d', 'follower', context(1, { terms }));
    expect(() =>
      checker.observeStep('a', 'leader', context(1, { votedFor: 'a', terms, commitIndex: 2, voters })),
    ).not.toThrow();
  });

  it("counts a follower's disk, not its memory: a crash now would lose an entry not yet durable", () => {
    const checker = withVotes(1, 'a', ['b', 'c']);
    checker.observeRestart('b', disk([1, 1]));
    checker.observeRestart('c', disk([1]));
    checker.observeStep('c', 'follower', context(1, { terms })); // entry 2 in memory only
    checker.observeStep('a', 'leader', context(1, { votedFor: 'a', terms, commitIndex: 1 }));
    expect(() =>
      checker.observeStep('a', 'leader', context(1, { votedFor: 'a', terms, commitIndex: 2 })),
    ).toThrow(/committed entry 2 held by \[a, b\] only/);
  });

  it('counts the leader itself only as far as its own writes are durable', () => {
    const checker = withVotes(1, 'a', ['b', 'c']);
    for (const follower of ['b', 'c']) checker.observeRestart(follower, disk([1, 1]));
    const leading = (commitIndex: number) =>
      context(1, { votedFor: 'a', terms, commitIndex, persistedIndex: 1 });
    checker.observeStep('a', 'leader', leading(1));
    expect(() => checker.observeStep('a', 'leader', leading(2))).toThrow(/held by \[b, c\] only/);
    const second = withVotes(1, 'a', ['b', 'c']);
    for (const follower of ['b', 'c', 'd']) second.observeRestart(follower, disk([1, 1]));
    second.observeStep('a', 'leader', leading(1));
    expect(() => second.observeStep('a', 'leader', leading(2))).not.toThrow();
  });
});

describe('only a voter campaigns or leads', () => {
  const config = { voters: ['a', 'b', 'c'], learners: ['l'] };

  it('refuses a learner that becomes a pre-candidate or a candidate', () => {
    const checker = new InvariantChecker(MEMBERS);
    checker.observeStep('l', 'follower', context(2, config));
    expect(() => checker.observeStep('l', 'preCandidate', context(2, config))).toThrow(
      /node l became preCandidate in term 2 but is no voter of its configuration \(voters \[a, b, c\]\)/,
    );
    const other = new InvariantChecker(MEMBERS);
    expect(() => other.observeStep('l', 'candidate', context(3, config))).toThrow(
      /node l became candidate in term 3/,
    );
  });

  it('refuses a node outside the configuration (joining, or removed) that becomes leader', () => {
    const checker = new InvariantChecker();
    checker.observeStep('x', 'follower', context(4, config));
    expect(() => checker.observeStep('x', 'leader', context(4, config))).toThrow(
      /node x became leader of term 4 but is no voter/,
    );
  });

  it('lets a leader that removed itself lead until the removal commits, and no further', () => {
    const checker = new InvariantChecker();
    const removed = { voters: ['b', 'c'], configIndex: 3, terms: [1, 1, 1] };
    checker.observeStep(
      'a',
      'leader',
      context(1, { voters: ['a', 'b', 'c'], commitIndex: 2, terms: [1, 1] }),
    );
    checker.observeStep('a', 'leader', context(1, { ...removed, commitIndex: 2 }));
    expect(() => checker.observeStep('a', 'leader', context(1, { ...removed, commitIndex: 3 }))).toThrow(
      /node a still leads term 1 after its removal \(index 3\) committed/,
    );
    // Stepping down in that step is what the chart does.
    const next = new InvariantChecker();
    next.observeStep('a', 'leader', context(1, { voters: ['a', 'b', 'c'], commitIndex: 2, terms: [1, 1] }));
    next.observeStep('a', 'leader', context(1, { ...removed, commitIndex: 2 }));
    expect(() => next.observeStep('a', 'follower', context(1, { ...removed, commitIndex: 3 }))).not.toThrow();
  });
});
