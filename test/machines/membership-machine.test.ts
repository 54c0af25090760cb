/**
 * Membership changes in the chart, on the pure step: a leader's single-server change as a
 * configuration entry in force at once, the quorum it implies, learners, a follower's view
 * of the latest configuration in its log, snapshots carrying their configuration, a removed
 * leader, and nodes that never campaign.
 */
import { describe, expect, it } from 'vitest';
import type { ConfigChange, InstallSnapshot, LogEntry } from '../../machines/index.js';
import { ArrayRaftLog, initialContext } from '../../machines/index.js';
import { StepNode, TEST_TIMING, appendEntries, membersOf } from './machine-harness.js';

const ABC = membersOf(['a', 'b', 'c']);

/** Node a, leader of term 1, its no-op (index 1) committed: it may change the configuration. */
function committedLeader(options: ConstructorParameters<typeof StepNode>[0] = {}) {
  const node = new StepNode(options);
  node.lead();
  node.commitAll();
  return node;
}

const change = (c: ConfigChange) => ({ type: 'ChangeConfig', change: c }) as const;

/** A configuration entry of `term`. */
function configEntry(term: number, voters: string[], learners: string[] = []): LogEntry {
  return { term, command: null, config: membersOf(voters, learners) };
}

describe("a leader's configuration change", () => {
  it('appends one configuration entry, in force at once; the new member is probed', () => {
    const node = committedLeader();
    const b = node.context.progress.b;
    const added = node.send(change({ type: 'addVoter', id: 'd' }));
    const abcd = membersOf(['a', 'b', 'c', 'd']);
    expect(added.logEdits).toEqual([{ from: 2, entries: [{ term: 1, command: null, config: abcd }] }]);
    expect(node.context).toMatchObject({
      config: abcd,
      configIndex: 2,
      baseConfig: ABC,
      peers: ['b', 'c', 'd'],
    });
    expect(node.context.progress.d).toEqual({ nextIndex: 2, matchIndex: 0, mode: 'probe', probeRpcId: null });
    expect(node.context.progress.b).toEqual(b);
    const beat = node.tick();
    expect(beat.messages.filter((m) => m.to === 'd')).toMatchObject([
      { type: 'AppendEntries', prevLogIndex: 1, prevLogTerm: 1, entries: [] },
    ]);
  });

  it('drops a removed member: no progress, no more requests', () => {
    const node = committedLeader();
    node.send(change({ type: 'remove', id: 'c' }));
    expect(node.context).toMatchObject({ config: membersOf(['a', 'b']), peers: ['b'] });
    expect(Object.keys(node.context.progress)).toEqual(['b']);
    expect(node.tick().messages.map((m) => m.to)).toEqual(['b']);
  });

  it('records addresses with the members', () => {
    const node = committedLeader();
    node.send(change({ type: 'addLearner', id: 'd', address: 'ws://d:1' }));
    expect(node.context.config).toEqual({
      voters: ['a', 'b', 'c'],
      learners: ['d'],
      addresses: { d: 'ws://d:1' },
    });
  });

  it('is ignored before an entry of its term commits', () => {
    const node = new StepNode();
    node.lead();
    const ignored = node.send(change({ type: 'addVoter', id: 'd' }));
    expect(ignored.logEdits).toEqual([]);
    expect(node.context).toMatchObject({ config: ABC, configIndex: 0 });
  });

  it('is ignored while the previous change is uncommitted, and taken once it commits', () => {
    const node = committedLeader();
    node.send(change({ type: 'addVoter', id: 'd' }));
    expect(node.send(change({ type: 'addLearner', id: 'e' })).logEdits).toEqual([]);
    expect(node.context.config.learners).toEqual([]);
    // Three of a, b, c and d commit it.
    node.send({ type: 'LogPersisted', index: 2, term: 1 });
    node.acceptFrom('b', 2);
    node.acceptFrom('c', 2);
    expect(node.context.commitIndex).toBe(2);
    expect(node.send(change({ type: 'addLearner', id: 'e' })).logEdits).toHaveLength(1);
    expect(node.context).toMatchObject({ configIndex: 3, config: { learners: ['e'] } });
  });

  it('is ignored when it does not fit the configuration in force', () => {
    const node = committedLeader();
    for (const c of [
      { type: 'addVoter', id: 'b' },
      { type: 'promote', id: 'b' },
      { type: 'remove', id: 'zed' },
    ] as const) {
      expect(node.send(change(c)).logEdits, c.type).toEqual([]);
    }
    expect(node.context.config).toEqual(ABC);
  });

  it('counts the new voters for commit: after adding d to a, b, c, three of four', () => {
    const node = committedLeader();
    node.send(change({ type: 'addVoter', id: 'd' }));
    node.send({ type: 'LogPersisted', index: 2, term: 1 });
    node.acceptFrom('b', 2);
    expect(node.context.commitIndex).toBe(1);
    node.acceptFrom('c', 2);
    expect(node.context.commitIndex).toBe(2);
  });

  it('a leader that removed itself leads until the removal commits, without counting itself, then steps down', () => {
    const node = committedLeader();
    node.send(change({ type: 'remove', id: 'a' }));
    node.send({ type: 'LogPersisted', index: 2, term: 1 });
    node.acceptFrom('b', 2);
    expect(node.role).toBe('leader');
    expect(node.context.commitIndex).toBe(1);
    const committed = node.acceptFrom('c', 2);
    expect(node.context.commitIndex).toBe(2);
    expect(node.role).toBe('follower');
    expect(node.context).toMatchObject({ leaderId: null, currentTerm: 1 });
    expect(committed.hardState).toBeNull();
    // Outside the configuration, it never campaigns.
    expect(node.fire('electionTimeout').messages).toEqual([]);
    expect(node.role).toBe('follower');
  });
});

describe('learners', () => {
  const WITH_LEARNER = membersOf(['a', 'b', 'c'], ['d']);

  it('get the log, but their acknowledgements do not commit', () => {
    const node = new StepNode({ config: WITH_LEARNER });
    node.lead();
    expect(node.results.at(-1)!.messages.map((m) => [m.type, m.to])).toEqual([
      ['AppendEntries', 'b'],
      ['AppendEntries', 'c'],
      ['AppendEntries', 'd'],
    ]);
    node.send({ type: 'LogPersisted', index: 1, term: 1 });
    node.acceptFrom('d', 1);
    expect(node.context.commitIndex).toBe(0);
    node.acceptFrom('b', 1);
    expect(node.context.commitIndex).toBe(1);
  });

  it('are not asked for votes, and their grants do not count', () => {
    const node = new StepNode({ config: WITH_LEARNER });
    const campaign = node.fire('electionTimeout');
    expect(campaign.messages.map((m) => m.to)).toEqual(['b', 'c']);
    node.send({ type: 'RequestVoteReply', from: 'd', to: 'a', term: 1, inReplyTo: 1, voteGranted: true });
    expect(node.role).toBe('candidate');
    expect(node.context.votes).toEqual(['a']);
  });

  it('are not polled for pre-votes, and their grants do not count', () => {
    const node = new StepNode({ config: WITH_LEARNER, features: { preVote: true } });
    const poll = node.fire('electionTimeout');
    expect(poll.messages.map((m) => m.to)).toEqual(['b', 'c']);
    node.send({ type: 'PreVoteReply', from: 'd', to: 'a', term: 0, inReplyTo: 1, voteGranted: true });
    expect(node.role).toBe('preCandidate');
    expect(node.context.votes).toEqual(['a']);
  });
});

describe('a node that does not vote', () => {
  for (const [what, config] of [
    ['a learner', membersOf(['a', 'b', 'c'], ['d'])],
    ['a joining node, which knows no members yet', membersOf([])],
  ] as const) {
    it(`re-arms its election timer without campaigning: ${what}`, () => {
      for (const features of [{}, { preVote: true }]) {
        const node = new StepNode({ id: 'd', peers: [], config, features });
        const fired = node.fire('electionTimeout');
        expect(node.role).toBe('follower');
        expect(fired.messages).toEqual([]);
        expect(fired.hardState).toBeNull();
        expect(fired.timers.map((t) => `${t.type} ${t.timer}`).sort()).toEqual([
          'startTimer electionTimeout',
          'startTimer leaderLease',
        ]);
        expect(node.value).toEqual({ follower: { waiting: 'leased' } });
      }
    });
  }

  it('campaigns once a configuration entry it appends makes it a voter', () => {
    const node = new StepNode({ id: 'd', peers: [], config: membersOf(['a', 'b', 'c'], ['d']) });
    node.send({ ...appendEntries('a', 1, { entries: [configEntry(1, ['a', 'b', 'c', 'd'])] }), to: 'd' });
    expect(node.context.peers).toEqual(['a', 'b', 'c']);
    const campaign = node.fire('electionTimeout');
    expect(node.role).toBe('candidate');
    expect(campaign.messages.map((m) => m.to)).toEqual(['a', 'b', 'c']);
  });
});

describe("a follower's configuration", () => {
  it('is the latest configuration entry it appended, committed or not', () => {
    const node = new StepNode();
    node.send(appendEntries('b', 1, { entries: [configEntry(1, ['a', 'b', 'c', 'd'])] }));
    expect(node.context).toMatchObject({
      config: membersOf(['a', 'b', 'c', 'd']),
      configIndex: 1,
      baseConfig: ABC,
      peers: ['b', 'c', 'd'],
      commitIndex: 0,
    });
  });

  it('falls back to the one before when the entry is truncated', () => {
    const node = new StepNode();
    node.send(
      appendEntries('b', 1, {
        entries: [
          configEntry(1, ['a', 'b', 'c', 'd']),
          { term: 1, command: 'x' },
          configEntry(1, ['a', 'b', 'd']),
        ],
      }),
    );
    expect(node.context).toMatchObject({ configIndex: 3, peers: ['b', 'd'] });
    // A leader of term 2 never had index 3: truncated, the entry at 1 is in force again.
    node.send(
      appendEntries('c', 2, { prevLogIndex: 2, prevLogTerm: 1, entries: [{ term: 2, command: 'y' }] }),
    );
    expect(node.context).toMatchObject({
      config: membersOf(['a', 'b', 'c', 'd']),
      configIndex: 1,
      peers: ['b', 'c', 'd'],
    });
    // And without it, the bootstrap configuration.
    node.send(appendEntries('c', 3, { entries: [{ term: 3, command: 'z' }] }));
    expect(node.context).toMatchObject({ config: ABC, configIndex: 0, peers: ['b', 'c'] });
  });
});

describe('snapshots and configuration', () => {
  it("the application's snapshot records the configuration in force at its index", () => {
    const node = new StepNode();
    const x = configEntry(1, ['a', 'b', 'c', 'd']);
    const y = configEntry(1, ['a', 'b', 'd']);
    node.send(
      appendEntries('b', 1, {
        entries: [x, { term: 1, command: 'p' }, y, { term: 1, command: 'q' }],
        leaderCommit: 4,
      }),
    );
    node.send({ type: 'Snapshot', index: 2, data: 'p' });
    expect(node.context.snapshot).toEqual({ index: 2, term: 1, data: 'p', config: x.config });
    expect(node.context).toMatchObject({ baseConfig: x.config, config: y.config, configIndex: 3 });
    node.send({ type: 'Snapshot', index: 4, data: 'pq' });
    expect(node.context.snapshot?.config).toEqual(y.config);
    expect(node.context).toMatchObject({ baseConfig: y.config, config: y.config });
  });

  function installSnapshot(index: number, config?: InstallSnapshot['config']): InstallSnapshot {
    return {
      type: 'InstallSnapshot',
      from: 'b',
      to: 'a',
      term: 1,
      rpcId: 60,
      lastIncludedIndex: index,
      lastIncludedTerm: 1,
      offset: 0,
      data: `state@${index}`,
      done: true,
      ...(config === undefined ? {} : { config }),
    };
  }

  it("InstallSnapshot installs the snapshot's configuration", () => {
    const node = new StepNode();
    const abcd = membersOf(['a', 'b', 'c', 'd']);
    node.send(installSnapshot(5, abcd));
    expect(node.context).toMatchObject({
      config: abcd,
      configIndex: 5,
      baseConfig: abcd,
      peers: ['b', 'c', 'd'],
    });
    expect(node.context.snapshot?.config).toEqual(abcd);
  });

  it('a configuration entry in the tail a snapshot keeps stays in force', () => {
    const node = new StepNode();
    const later = configEntry(1, ['a', 'b']);
    node.send(
      appendEntries('b', 1, { entries: [{ term: 1, command: 'p' }, { term: 1, command: 'q' }, later] }),
    );
    const abcd = membersOf(['a', 'b', 'c', 'd']);
    node.send(installSnapshot(2, abcd));
    expect(node.context.log.lastIndex).toBe(3);
    expect(node.context).toMatchObject({
      config: later.config,
      configIndex: 3,
      baseConfig: abcd,
      peers: ['b'],
    });
  });

  it('a leader sends a new member its snapshot, with the configuration', () => {
    const node = committedLeader();
    node.send({ type: 'Snapshot', index: 1, data: 'noop' });
    node.send(change({ type: 'addLearner', id: 'd' }));
    // d's probe is rejected: it holds nothing; the leader needs index 1, compacted.
    node.tick();
    const probe = node.lastAppendTo('d');
    const sent = node.send({
      type: 'AppendEntriesReply',
      from: 'd',
      to: 'a',
      term: 1,
      inReplyTo: probe.rpcId,
      success: false,
      conflict: { conflictTerm: 0, conflictIndex: 1, logLength: 0 },
    });
    expect(sent.messages).toMatchObject([
      { type: 'InstallSnapshot', to: 'd', lastIncludedIndex: 1, config: ABC },
    ]);
  });
});

describe('a recovered node', () => {
  it("is in the latest configuration of its log, the snapshot's (or the bootstrap's) below it", () => {
    const y = configEntry(2, ['a', 'b', 'd'], ['e']);
    const log = new ArrayRaftLog([
      configEntry(1, ['a', 'b', 'c', 'd']),
      { term: 1, command: 'x' },
      y,
      { term: 2, command: 'z' },
    ]);
    const context = initialContext({ id: 'a', peers: ['b', 'c'], timing: TEST_TIMING, log });
    expect(context).toMatchObject({
      config: y.config,
      configIndex: 3,
      baseConfig: ABC,
      peers: ['b', 'd', 'e'],
    });

    const z = membersOf(['a', 'f']);
    const afterSnapshot = initialContext({
      id: 'a',
      peers: ['b', 'c'],
      timing: TEST_TIMING,
      log: new ArrayRaftLog([{ term: 3, command: 'w' }], { index: 7, term: 3 }),
      snapshot: { index: 7, term: 3, data: 's', config: z },
    });
    expect(afterSnapshot).toMatchObject({ config: z, configIndex: 7, baseConfig: z, peers: ['f'] });
  });

  it("a joining node's given configuration stands until its log says otherwise", () => {
    const joining = initialContext({ id: 'd', peers: [], config: membersOf([]), timing: TEST_TIMING });
    expect(joining).toMatchObject({ config: membersOf([]), configIndex: 0, peers: [] });
  });
});
