/**
 * The statechart's bookkeeping that no message shows at once: rpcIds unique per sender,
 * votes cleared on a new term, the snapshot kept against a repeat, and a follower's reads
 * settled only by the answer of the leader it asked.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { RaftMessage } from '../../machines/index.js';
import type { TestNode } from './machine-harness.js';
import {
  TEST_TIMING,
  appendEntries,
  appendRejected,
  entriesWithTerms,
  spawnNode,
} from './machine-harness.js';

let node: TestNode;

afterEach(() => {
  expect(node.errors).toEqual([]);
  node.actor.stop();
});

describe('rpcIds', () => {
  it('numbers every request a node sends uniquely, across elections', async () => {
    node = spawnNode();
    await node.campaign();
    await node.campaign();
    const ids = node.sent.map((m) => ('rpcId' in m ? m.rpcId : null));
    expect(ids).toEqual([1, 2, 3, 4]);
  });
});

describe('votes', () => {
  it('a candidate that sees a higher term keeps none of its votes', async () => {
    node = spawnNode();
    await node.campaign();
    expect(node.context().votes).toEqual(['a']);
    node.deliver(appendEntries('b', 5));
    expect(node.context()).toMatchObject({ currentTerm: 5, votes: [] });
  });
});

describe('snapshots', () => {
  it('keeps the snapshot it has when the application repeats its index', () => {
    node = spawnNode({ entries: entriesWithTerms(1, 1, 1) });
    node.deliver(appendEntries('b', 1, { prevLogIndex: 3, prevLogTerm: 1, leaderCommit: 3 }));
    node.actor.send({ type: 'Snapshot', index: 2, data: 'first' });
    node.actor.send({ type: 'Snapshot', index: 2, data: 'again' });
    expect(node.context().snapshot).toEqual({
      index: 2,
      term: 1,
      data: 'first',
      config: { voters: ['a', 'b', 'c'], learners: [], addresses: {} },
    });
  });
});

describe('an installed snapshot', () => {
  const install = (index: number, term: number) =>
    ({
      type: 'InstallSnapshot',
      from: 'b',
      to: 'a',
      term: 2,
      rpcId: 90,
      lastIncludedIndex: index,
      lastIncludedTerm: term,
      offset: 0,
      data: 'state',
      done: true,
    }) as const;

  it('counts the tail it keeps as still durable, and no more than the snapshot when it keeps none', () => {
    node = spawnNode({ entries: entriesWithTerms(1, 1, 1, 1, 1) });
    expect(node.context().persistedIndex).toBe(5);
    node.deliver(install(3, 1));
    expect(node.context()).toMatchObject({
      persistedIndex: 5,
      commitIndex: 3,
      snapshot: { index: 3, term: 1 },
    });
    node.actor.stop();
    node = spawnNode({ entries: entriesWithTerms(1, 1, 1, 1, 1) });
    node.deliver(install(3, 2));
    expect(node.context()).toMatchObject({ persistedIndex: 3, commitIndex: 3 });
    expect(node.context().log.lastIndex).toBe(3);
  });

  it('is refused when it covers no more than is committed here, though answered', () => {
    node = spawnNode({ entries: entriesWithTerms(1, 1, 1) });
    node.deliver(appendEntries('b', 2, { prevLogIndex: 3, prevLogTerm: 1, leaderCommit: 3 }));
    const [reply] = node.deliver(install(3, 1));
    expect(reply).toMatchObject({ type: 'InstallSnapshotReply', matchIndex: 3 });
    expect(node.context().snapshot).toBeNull();
    expect(node.context().log.snapshotIndex).toBe(0);
  });
});

describe("a follower's reads", () => {
  it('are settled only by the answer of the leader it asked, to that request', () => {
    node = spawnNode();
    node.deliver(appendEntries('b', 1));
    const [ask] = node.deliver({ type: 'Read', ids: [7] });
    expect(ask).toMatchObject({ type: 'ReadIndex', to: 'b' });
    const rpcId = ask?.type === 'ReadIndex' ? ask.rpcId : -1;
    const reply = { type: 'ReadIndexReply', to: 'a', term: 1, readIndex: 3 } as const;
    node.deliver({ ...reply, from: 'c', inReplyTo: rpcId });
    node.deliver({ ...reply, from: 'b', inReplyTo: rpcId + 1 });
    expect(node.answers).toEqual([]);
    node.deliver({ ...reply, from: 'b', inReplyTo: rpcId });
    expect(node.answers).toEqual([{ ids: [7], index: 3 }]);
  });

  it('each ask is its own request, settled by its own answer', () => {
    node = spawnNode();
    node.deliver(appendEntries('b', 1));
    const [first] = node.deliver({ type: 'Read', ids: [1, 2] });
    const [second] = node.deliver({ type: 'Read', ids: [3] });
    const rpcIdOf = (m: RaftMessage | undefined) => (m?.type === 'ReadIndex' ? m.rpcId : -1);
    expect(rpcIdOf(second)).toBe(rpcIdOf(first) + 1);
    const reply = { type: 'ReadIndexReply', from: 'b', to: 'a', term: 1 } as const;
    node.deliver({ ...reply, inReplyTo: rpcIdOf(second), readIndex: 5 });
    expect(node.answers).toEqual([{ ids: [3], index: 5 }]);
    expect(node.context().reads.asked).toMatchObject([{ rpcId: rpcIdOf(first), ids: [1, 2] }]);
    node.deliver({ ...reply, inReplyTo: rpcIdOf(first), readIndex: 4 });
    expect(node.answers).toEqual([
      { ids: [3], index: 5 },
      { ids: [1, 2], index: 4 },
    ]);
    // The next request is numbered after both.
    const [third] = node.deliver({ type: 'Read', ids: [9] });
    expect(rpcIdOf(third)).toBe(rpcIdOf(second) + 1);
  });
});

describe('a leader', () => {
  it('retries a probe with an empty heartbeat, not with the entries the probe carried', async () => {
    node = spawnNode({ entries: entriesWithTerms(1, 1) });
    await node.lead();
    const conflict = { conflictTerm: 0, conflictIndex: 1, logLength: 0 };
    const [probe] = node.deliver(appendRejected('b', 1, conflict, node.lastAppendTo('b')));
    expect(probe).toMatchObject({
      type: 'AppendEntries',
      to: 'b',
      prevLogIndex: 0,
      entries: entriesWithTerms(1, 1),
    });
    const heartbeats = await node.advance(TEST_TIMING.heartbeatIntervalMs);
    expect(heartbeats.find((m) => m.to === 'b')).toMatchObject({ prevLogIndex: 0, entries: [] });
  });

  it('writes nothing for an empty proposal', async () => {
    node = spawnNode();
    await node.lead();
    const edits = node.edits.length;
    node.deliver({ type: 'Propose', commands: [] });
    expect(node.edits).toHaveLength(edits);
    expect(node.context().log.lastIndex).toBe(0);
  });
});
