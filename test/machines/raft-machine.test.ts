/** The statechart against Figure 2 of the Raft paper, one rule at a time. */
import { afterEach, describe, expect, it } from 'vitest';
import type { NodeEvent } from '../../machines/index.js';
import { raftMachine } from '../../machines/index.js';
import type { TestNode } from './machine-harness.js';
import {
  TEST_TIMING,
  appendAccepted,
  appendEntries,
  appendRejected,
  entriesWithTerms,
  requestVote,
  spawnNode,
  voteReply,
} from './machine-harness.js';

let node: TestNode;

afterEach(() => {
  expect(node.errors).toEqual([]);
  node.actor.stop();
});

describe('follower', () => {
  it('starts as a follower waiting for its election timeout', async () => {
    node = spawnNode();
    expect(node.value()).toEqual({ follower: { waiting: 'leased' } });
    await node.advance(TEST_TIMING.electionTimeoutMinMs - 1);
    expect(node.role()).toBe('follower');
    await node.advance(1);
    expect(node.role()).toBe('candidate');
  });

  it('grants a vote to an up-to-date candidate of a higher term, adopting the term', () => {
    node = spawnNode();
    const request = requestVote('b', 3);
    const out = node.deliver(request);
    expect(out).toEqual([
      { type: 'RequestVoteReply', from: 'a', to: 'b', term: 3, inReplyTo: request.rpcId, voteGranted: true },
    ]);
    expect(node.context()).toMatchObject({ currentTerm: 3, votedFor: 'b' });
  });

  it('votes at most once per term, but repeats its vote to the same candidate', () => {
    node = spawnNode();
    node.deliver(requestVote('b', 1));
    expect(node.deliver(requestVote('c', 1))).toMatchObject([{ voteGranted: false, term: 1 }]);
    expect(node.deliver(requestVote('b', 1))).toMatchObject([{ voteGranted: true, term: 1 }]);
    expect(node.context().votedFor).toBe('b');
  });

  it('votes again in a later term', () => {
    node = spawnNode();
    node.deliver(requestVote('b', 1));
    expect(node.deliver(requestVote('c', 2))).toMatchObject([{ voteGranted: true, term: 2 }]);
  });

  it('refuses a vote to a candidate whose log is behind (last term first, then length)', () => {
    node = spawnNode({ entries: entriesWithTerms(1, 2, 2) });
    expect(node.deliver(requestVote('b', 5, { index: 9, term: 1 }))).toMatchObject([{ voteGranted: false }]);
    expect(node.deliver(requestVote('b', 5, { index: 2, term: 2 }))).toMatchObject([{ voteGranted: false }]);
    expect(node.deliver(requestVote('b', 5, { index: 3, term: 2 }))).toMatchObject([{ voteGranted: true }]);
    node.actor.stop();
    node = spawnNode({ entries: entriesWithTerms(1, 2, 2) });
    expect(node.deliver(requestVote('c', 5, { index: 1, term: 3 }))).toMatchObject([{ voteGranted: true }]);
  });

  it('refuses a RequestVote of a stale term, answering with its own term', () => {
    node = spawnNode({ hardState: { currentTerm: 4, votedFor: null } });
    expect(node.deliver(requestVote('b', 3))).toMatchObject([{ voteGranted: false, term: 4 }]);
    expect(node.context().votedFor).toBeNull();
  });

  it('restarts its election timer when it grants a vote', async () => {
    node = spawnNode();
    await node.advance(400);
    node.deliver(requestVote('b', 1));
    await node.advance(400);
    expect(node.role()).toBe('follower');
    await node.advance(100);
    expect(node.role()).toBe('candidate');
  });

  it('restarts its election timer on an AppendEntries from the current leader', async () => {
    node = spawnNode();
    for (let i = 0; i < 10; i++) {
      await node.advance(400);
      node.deliver(appendEntries('b', 1));
    }
    expect(node.role()).toBe('follower');
    expect(node.context().leaderId).toBe('b');
  });

  it('refuses a stale AppendEntries without restarting its timer', async () => {
    node = spawnNode({ hardState: { currentTerm: 2, votedFor: null } });
    await node.advance(400);
    const out = node.deliver(appendEntries('b', 1));
    expect(out).toMatchObject([{ type: 'AppendEntriesReply', success: false, term: 2 }]);
    expect(out[0]).not.toHaveProperty('conflict');
    await node.advance(100);
    expect(node.role()).toBe('candidate');
  });

  it('adopts a higher term from a reply, staying a follower', () => {
    node = spawnNode({ hardState: { currentTerm: 1, votedFor: 'a' } });
    node.deliver(appendRejected('b', 3));
    expect(node.context()).toMatchObject({ currentTerm: 3, votedFor: null });
    expect(node.role()).toBe('follower');
  });
});

describe('AppendEntries receiver (Figure 2, steps 2-5)', () => {
  it('rejects when it has no entry at prevLogIndex, hinting its log length', () => {
    node = spawnNode({ entries: entriesWithTerms(1, 1) });
    const out = node.deliver(appendEntries('b', 2, { prevLogIndex: 5, prevLogTerm: 2 }));
    expect(out).toMatchObject([
      { success: false, term: 2, conflict: { conflictTerm: 0, conflictIndex: 3, logLength: 2 } },
    ]);
  });

  it('rejects on a term mismatch at prevLogIndex, hinting the first index of that term', () => {
    node = spawnNode({ entries: entriesWithTerms(1, 2, 2, 2) });
    const out = node.deliver(appendEntries('b', 3, { prevLogIndex: 4, prevLogTerm: 3 }));
    expect(out).toMatchObject([
      { success: false, conflict: { conflictTerm: 2, conflictIndex: 2, logLength: 4 } },
    ]);
    expect(node.context().log.lastIndex).toBe(4);
  });

  it('appends new entries, persists them, and acknowledges up to the last one sent', () => {
    node = spawnNode({ entries: entriesWithTerms(1) });
    const entries = entriesWithTerms(1, 1, 2).slice(1);
    const out = node.deliver(appendEntries('b', 2, { prevLogIndex: 1, prevLogTerm: 1, entries }));
    expect(out).toMatchObject([{ success: true, matchIndex: 3 }]);
    expect(node.context().log.lastIndex).toBe(3);
    expect(node.edits).toEqual([{ from: 2, entries }]);
  });

  it('truncates only on a real conflict, and keeps later entries a stale request does not mention', () => {
    node = spawnNode({ entries: entriesWithTerms(1, 1, 1, 1) });
    const stale = node.deliver(appendEntries('b', 1, { prevLogIndex: 0, entries: entriesWithTerms(1, 1) }));
    expect(stale).toMatchObject([{ success: true, matchIndex: 2 }]);
    expect(node.context().log.lastIndex).toBe(4);
    expect(node.edits).toEqual([]);

    const conflicting = [
      { term: 1, command: 'cmd2' },
      { term: 3, command: 'new3' },
    ];
    node.deliver(appendEntries('c', 3, { prevLogIndex: 1, prevLogTerm: 1, entries: conflicting }));
    expect(node.context().log.lastIndex).toBe(3);
    expect(node.context().log.termAt(3)).toBe(3);
    expect(node.edits).toEqual([{ from: 3, entries: [{ term: 3, command: 'new3' }] }]);
  });

  it('advances commitIndex to min(leaderCommit, last new entry), never backwards', () => {
    node = spawnNode({ entries: entriesWithTerms(1, 1, 1, 1, 1) });
    node.deliver(appendEntries('b', 1, { prevLogIndex: 2, prevLogTerm: 1, leaderCommit: 4 }));
    expect(node.context().commitIndex).toBe(2);
    node.deliver(appendEntries('b', 1, { prevLogIndex: 4, prevLogTerm: 1, leaderCommit: 9 }));
    expect(node.context().commitIndex).toBe(4);
    node.deliver(appendEntries('b', 1, { prevLogIndex: 1, prevLogTerm: 1, leaderCommit: 1 }));
    expect(node.context().commitIndex).toBe(4);
  });

  it('counts a LogPersisted only while that entry is still in the log', () => {
    node = spawnNode();
    node.deliver(appendEntries('b', 1, { entries: entriesWithTerms(1, 1) }));
    expect(node.context().persistedIndex).toBe(0);
    node.deliver({ type: 'LogPersisted', index: 2, term: 1 });
    expect(node.context().persistedIndex).toBe(2);
    node.deliver(
      appendEntries('c', 2, { prevLogIndex: 1, prevLogTerm: 1, entries: entriesWithTerms(2, 2).slice(1) }),
    );
    expect(node.context().persistedIndex).toBe(1);
    node.deliver({ type: 'LogPersisted', index: 2, term: 1 });
    expect(node.context().persistedIndex).toBe(1);
  });
});

describe('candidate', () => {
  it('votes for itself in a new term and asks every peer, with its last log position', async () => {
    node = spawnNode({ entries: entriesWithTerms(1, 2) });
    const out = await node.campaign();
    expect(node.value()).toEqual({ candidate: 'campaigning' });
    expect(node.context()).toMatchObject({ currentTerm: 1, votedFor: 'a', votes: ['a'] });
    expect(out).toMatchObject([
      { type: 'RequestVote', to: 'b', term: 1, lastLogIndex: 2, lastLogTerm: 2 },
      { type: 'RequestVote', to: 'c', term: 1, lastLogIndex: 2, lastLogTerm: 2 },
    ]);
    expect(new Set(out.map((m) => (m.type === 'RequestVote' ? m.rpcId : 0))).size).toBe(2);
  });

  it('starts a new election, in a new term, when its election times out', async () => {
    node = spawnNode();
    await node.campaign();
    const out = await node.advance(TEST_TIMING.electionTimeoutMinMs);
    expect(node.context().currentTerm).toBe(2);
    expect(out).toMatchObject([{ term: 2 }, { term: 2 }]);
  });

  it('becomes leader on a majority and heartbeats at once', async () => {
    node = spawnNode({ peers: ['b', 'c', 'd', 'e'] });
    const requests = await node.campaign();
    const vote = (from: string, voteGranted: boolean, term = 1) =>
      node.deliver(voteReply(from, term, voteGranted));
    vote('b', true);
    vote('b', true); // the same voter twice counts once
    vote('c', false);
    expect(node.role()).toBe('candidate');
    const out = vote('d', true);
    expect(requests).toHaveLength(4);
    expect(node.value()).toEqual({ leader: 'heartbeating' });
    expect(out.filter((m) => m.type === 'AppendEntries')).toHaveLength(4);
  });

  it('ignores proposals: only a leader appends', async () => {
    node = spawnNode();
    await node.campaign();
    node.deliver({ type: 'Propose', commands: ['x'] });
    expect(node.context().log.lastIndex).toBe(0);
    expect(node.edits).toEqual([]);
  });

  it('ignores votes granted in an earlier term', async () => {
    node = spawnNode();
    await node.campaign();
    await node.advance(TEST_TIMING.electionTimeoutMinMs); // term 2
    node.deliver(voteReply('b', 1, true));
    expect(node.role()).toBe('candidate');
  });

  it('follows a leader of its own term, acknowledging its AppendEntries', async () => {
    node = spawnNode();
    await node.campaign();
    const request = appendEntries('b', 1);
    expect(node.deliver(request)).toMatchObject([{ inReplyTo: request.rpcId, success: true, term: 1 }]);
    expect(node.value()).toEqual({ follower: { waiting: 'leased' } });
    expect(node.context()).toMatchObject({ currentTerm: 1, leaderId: 'b', votedFor: 'a' });
  });

  it('steps down on a reply of a higher term', async () => {
    node = spawnNode();
    await node.campaign();
    node.deliver(voteReply('b', 7, false));
    expect(node.role()).toBe('follower');
    expect(node.context()).toMatchObject({ currentTerm: 7, votedFor: null });
  });

  it('a single-node cluster elects itself', async () => {
    node = spawnNode({ peers: [] });
    await node.campaign();
    expect(node.role()).toBe('leader');
    expect(node.context().currentTerm).toBe(1);
  });
});

describe('leader', () => {
  it('sends a heartbeat to every peer every heartbeat interval, with its commit index', async () => {
    node = spawnNode();
    await node.lead();
    const out = await node.advance(TEST_TIMING.heartbeatIntervalMs * 3 + 50);
    expect(out.filter((m) => m.type === 'AppendEntries')).toHaveLength(6);
    expect(out).toMatchObject([
      { term: 1, entries: [], leaderCommit: 0, prevLogIndex: 0 },
      {},
      {},
      {},
      {},
      {},
    ]);
  });

  it('stays leader through many election timeouts while nothing of a higher term arrives', async () => {
    node = spawnNode();
    await node.lead();
    await node.advance(TEST_TIMING.electionTimeoutMaxMs * 20);
    expect(node.role()).toBe('leader');
    expect(node.context().currentTerm).toBe(1);
  });

  it('steps down on any message of a higher term', async () => {
    node = spawnNode();
    await node.lead();
    node.deliver(appendRejected('b', 2));
    expect(node.value()).toEqual({ follower: { waiting: 'leased' } });
    expect(node.context()).toMatchObject({ currentTerm: 2, leaderId: null });
  });

  it('streams to a follower that matched, and probes again at once, backed up, after a rejection', async () => {
    node = spawnNode({
      entries: entriesWithTerms(1, 1, 2, 2),
      hardState: { currentTerm: 2, votedFor: null },
    });
    await node.lead();
    const term = node.context().currentTerm;
    expect(term).toBe(3);
    node.deliver(appendAccepted('b', term, 4));
    expect(node.context().progress.b).toEqual({
      nextIndex: 5,
      matchIndex: 4,
      mode: 'replicate',
      probeRpcId: null,
    });
    const conflict = { conflictTerm: 1, conflictIndex: 1, logLength: 4 };
    const out = node.deliver(appendRejected('c', term, conflict, node.lastAppendTo('c')));
    expect(out).toMatchObject([
      {
        type: 'AppendEntries',
        to: 'c',
        prevLogIndex: 2,
        prevLogTerm: 1,
        entries: [{ term: 2 }, { term: 2 }],
      },
    ]);
    expect(node.context().progress.c).toMatchObject({ nextIndex: 3, matchIndex: 0, mode: 'probe' });
    expect(node.context().progress.c?.probeRpcId).toBe(node.lastAppendTo('c'));
  });

  it('ignores a rejection that does not answer its outstanding probe', async () => {
    node = spawnNode({ entries: entriesWithTerms(1, 1), hardState: { currentTerm: 1, votedFor: null } });
    await node.lead();
    const before = node.context().progress.c;
    const conflict = { conflictTerm: 0, conflictIndex: 1, logLength: 0 };
    expect(node.deliver(appendRejected('c', 2, conflict, node.lastAppendTo('c') - 1))).toEqual([]);
    expect(node.context().progress.c).toEqual(before);
  });

  it('ignores replies that do not count: an older term, a node it does not lead, a refused snapshot', async () => {
    node = spawnNode({ entries: entriesWithTerms(1), hardState: { currentTerm: 1, votedFor: null } });
    await node.lead();
    const before = node.context();
    const conflict = { conflictTerm: 0, conflictIndex: 1, logLength: 0 };
    const stray = [
      appendAccepted('b', 1, 1),
      appendRejected('b', 1, conflict, node.lastAppendTo('b')),
      appendAccepted('z', 2, 1),
      appendRejected('z', 2, conflict),
      // Names that an object lookup would find on Object.prototype.
      appendAccepted('constructor', 2, 1),
      appendRejected('__proto__', 2, conflict),
      appendAccepted('toString', 2, 1),
      appendRejected('b', 2), // no conflict hint: not a log mismatch
      { type: 'InstallSnapshotReply', from: 'b', to: 'a', term: 2, inReplyTo: 1, matchIndex: 0 },
      { type: 'InstallSnapshotReply', from: 'z', to: 'a', term: 2, inReplyTo: 1, matchIndex: 1 },
    ] as const;
    for (const reply of stray) expect(node.deliver(reply), JSON.stringify(reply)).toEqual([]);
    expect(node.context()).toMatchObject({
      commitIndex: before.commitIndex,
      nextRpcId: before.nextRpcId,
      progress: before.progress,
    });
  });

  it('appends a batch of proposals in its term, and sends them at the end of the turn', async () => {
    node = spawnNode();
    await node.lead();
    node.deliver(appendAccepted('b', 1, 0)); // b matches: streaming
    expect(node.deliver({ type: 'Propose', commands: ['x', 'y'] })).toEqual([]);
    expect(node.context().log.lastIndex).toBe(2);
    expect(node.edits).toEqual([
      {
        from: 1,
        entries: [
          { term: 1, command: 'x' },
          { term: 1, command: 'y' },
        ],
      },
    ]);
    const out = node.deliver({ type: 'Flush' });
    // c is still probing (its probe is unanswered): only b gets the batch.
    expect(out).toMatchObject([
      { type: 'AppendEntries', to: 'b', prevLogIndex: 0, entries: [{ command: 'x' }, { command: 'y' }] },
    ]);
    expect(node.deliver({ type: 'Flush' })).toEqual([]);
  });

  it('commits an entry of its term once a quorum holds it, counting itself only once durable', async () => {
    node = spawnNode();
    await node.lead();
    node.deliver(appendAccepted('b', 1, 0));
    node.deliver({ type: 'Propose', commands: ['x'] });
    node.deliver({ type: 'Flush' });
    node.deliver(appendAccepted('b', 1, 1));
    expect(node.context().commitIndex).toBe(0); // b has it, but the leader's own copy is not durable
    node.deliver({ type: 'LogPersisted', index: 1, term: 1 });
    expect(node.context().commitIndex).toBe(1);
  });

  it('never commits an entry of an earlier term by counting replicas (Figure 8)', async () => {
    node = spawnNode({ entries: entriesWithTerms(1), hardState: { currentTerm: 1, votedFor: null } });
    await node.lead(); // term 2; entry 1 is of term 1
    node.deliver(appendAccepted('b', 2, 1));
    node.deliver(appendAccepted('c', 2, 1));
    expect(node.context().commitIndex).toBe(0);
    node.deliver({ type: 'Propose', commands: ['now'] });
    node.deliver({ type: 'Flush' });
    node.deliver({ type: 'LogPersisted', index: 2, term: 2 });
    node.deliver(appendAccepted('b', 2, 2));
    expect(node.context().commitIndex).toBe(2); // and entry 1 with it
  });
});

describe('no-op on election (real nodes; off for the course)', () => {
  it("appends a no-op of the new term, so an earlier term's entry commits without a new proposal", async () => {
    node = spawnNode({
      entries: entriesWithTerms(1),
      hardState: { currentTerm: 1, votedFor: null },
      noop: true,
    });
    await node.lead(); // term 2
    expect(node.context().log.lastIndex).toBe(2);
    expect(node.context().log.slice(2, 2)).toEqual([{ term: 2, command: null }]);
    expect(node.edits).toEqual([{ from: 2, entries: [{ term: 2, command: null }] }]);
    node.deliver({ type: 'LogPersisted', index: 2, term: 2 });
    node.deliver(appendAccepted('b', 2, 2));
    expect(node.context().commitIndex).toBe(2);
  });
});

describe("the chart's guards", () => {
  it('are total: each answers every event, in every role, without throwing', async () => {
    node = spawnNode({ entries: entriesWithTerms(1, 2), hardState: { currentTerm: 2, votedFor: null } });
    const contexts = [node.context()];
    await node.campaign();
    contexts.push(node.context());
    await node.lead();
    contexts.push(node.context());
    const conflict = { conflictTerm: 1, conflictIndex: 1, logLength: 1 };
    const events: NodeEvent[] = [
      requestVote('b', 3),
      voteReply('z', 4, true),
      appendEntries('b', 4, { prevLogIndex: 9, prevLogTerm: 9, leaderCommit: 9 }),
      appendEntries('z', 4, { entries: entriesWithTerms(4) }),
      appendAccepted('z', 4, 7),
      appendRejected('b', 4, conflict),
      appendRejected('b', 4),
      {
        type: 'InstallSnapshot',
        from: 'b',
        to: 'a',
        term: 4,
        rpcId: 1,
        lastIncludedIndex: 5,
        lastIncludedTerm: 4,
        offset: 0,
        data: '',
        done: true,
      },
      { type: 'InstallSnapshotReply', from: 'z', to: 'a', term: 4, inReplyTo: 1, matchIndex: 3 },
      { type: 'Propose', commands: [] },
      { type: 'Flush' },
      { type: 'LogPersisted', index: 9, term: 9 },
      { type: 'Snapshot', index: 9, data: '' },
      { type: 'PreVote', from: 'z', to: 'a', term: 5, rpcId: 2, lastLogIndex: 9, lastLogTerm: 9 },
      { type: 'PreVoteReply', from: 'z', to: 'a', term: 4, inReplyTo: 1, voteGranted: true },
      { type: 'TimeoutNow', from: 'z', to: 'a', term: 4, rpcId: 3 },
      { type: 'TransferLeadership', to: 'b' },
      { type: 'TransferLeadership', to: 'z' },
      { type: 'ChangeConfig', change: { type: 'addVoter', id: 'z' } },
      { type: 'ChangeConfig', change: { type: 'remove', id: 'a' } },
      { type: 'Read', ids: [1] },
      { type: 'ReadIndex', from: 'z', to: 'a', term: 4, rpcId: 4 },
      { type: 'ReadIndexReply', from: 'z', to: 'a', term: 4, inReplyTo: 1, readIndex: 3 },
    ];
    // A leader handing over to b, and a node outside its configuration.
    const leader = node.context();
    contexts.push({ ...leader, transfer: { to: 'b', sinceTick: 0, timeoutNowSent: false } });
    contexts.push({ ...leader, config: { voters: ['b', 'c'], learners: [], addresses: {} } });
    const guards = Object.entries(raftMachine.implementations.guards);
    expect(guards.length).toBeGreaterThan(5);
    for (const context of contexts) {
      for (const event of events) {
        for (const [name, guard] of guards) {
          const call = () =>
            (guard as (args: unknown, params: unknown) => unknown)({ context, event }, undefined);
          expect(call, `${name} on ${event.type}`).not.toThrow();
        }
      }
    }
  });
});
