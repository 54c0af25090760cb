/** Snapshots in the statechart: the application's compaction, InstallSnapshot (Figure 13), sending one. */
import { afterEach, describe, expect, it } from 'vitest';
import type { InstallSnapshot } from '../../machines/index.js';
import type { TestNode } from './machine-harness.js';
import {
  appendAccepted,
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

let rpcIds = 5000;

/** The configuration of the harness's bootstrapped cluster: a, b and c, all voters. */
const BOOTSTRAP = { voters: ['a', 'b', 'c'], learners: [], addresses: {} };

function installSnapshot(
  term: number,
  index: number,
  lastTerm: number,
  data = `state@${index}`,
): InstallSnapshot {
  return {
    type: 'InstallSnapshot',
    from: 'b',
    to: 'a',
    term,
    rpcId: rpcIds++,
    lastIncludedIndex: index,
    lastIncludedTerm: lastTerm,
    offset: 0,
    data,
    done: true,
  };
}

describe("the application's snapshot", () => {
  it('compacts the log through a committed index, keeping its term', () => {
    node = spawnNode({ entries: entriesWithTerms(1, 1, 2, 2) });
    node.deliver(appendEntries('b', 2, { prevLogIndex: 4, prevLogTerm: 2, leaderCommit: 3 }));
    node.deliver({ type: 'Snapshot', index: 3, data: 'app@3' });
    const { log, snapshot } = node.context();
    expect(snapshot).toEqual({ index: 3, term: 2, data: 'app@3', config: BOOTSTRAP });
    expect([log.snapshotIndex, log.snapshotTerm, log.lastIndex, log.termAt(3), log.termAt(2)]).toEqual([
      3,
      2,
      4,
      2,
      undefined,
    ]);
  });

  it('is ignored past the commit index or at or below the current snapshot', () => {
    node = spawnNode({ entries: entriesWithTerms(1, 1, 1) });
    node.deliver(appendEntries('b', 1, { prevLogIndex: 3, prevLogTerm: 1, leaderCommit: 2 }));
    node.deliver({ type: 'Snapshot', index: 3, data: 'too far' });
    expect(node.context().snapshot).toBeNull();
    node.deliver({ type: 'Snapshot', index: 2, data: 'app@2' });
    node.deliver({ type: 'Snapshot', index: 1, data: 'older' });
    expect(node.context().snapshot).toEqual({ index: 2, term: 1, data: 'app@2', config: BOOTSTRAP });
  });
});

describe('InstallSnapshot receiver (Figure 13)', () => {
  it('installs a newer snapshot, discarding a log that does not hold its last entry, and replies', () => {
    node = spawnNode({ entries: entriesWithTerms(1, 1) });
    const request = installSnapshot(3, 5, 3);
    expect(node.deliver(request)).toEqual([
      { type: 'InstallSnapshotReply', from: 'a', to: 'b', term: 3, inReplyTo: request.rpcId, matchIndex: 5 },
    ]);
    const { log, snapshot, commitIndex, leaderId } = node.context();
    // The request carries no configuration: the one in force here is recorded with it.
    expect(snapshot).toEqual({ index: 5, term: 3, data: 'state@5', config: BOOTSTRAP });
    expect([log.snapshotIndex, log.lastIndex, commitIndex, leaderId]).toEqual([5, 5, 5, 'b']);
  });

  it('keeps the entries after the snapshot when the log holds its last entry', () => {
    node = spawnNode({ entries: entriesWithTerms(1, 1, 2, 2, 2) });
    node.deliver(installSnapshot(2, 3, 2));
    expect([node.context().log.lastIndex, node.context().log.termAt(5)]).toEqual([5, 2]);
  });

  it('does not go back: a snapshot at or below the commit index only gets its reply', () => {
    node = spawnNode({ entries: entriesWithTerms(1, 1, 1, 1) });
    node.deliver(appendEntries('b', 1, { prevLogIndex: 4, prevLogTerm: 1, leaderCommit: 4 }));
    const out = node.deliver(installSnapshot(1, 3, 1));
    expect(out).toMatchObject([{ type: 'InstallSnapshotReply', matchIndex: 3 }]);
    expect(node.context().snapshot).toBeNull();
    expect(node.context().log.lastIndex).toBe(4);
  });

  it('refuses a snapshot of a stale term, without restarting its timer', async () => {
    node = spawnNode({ hardState: { currentTerm: 4, votedFor: null } });
    await node.advance(400);
    expect(node.deliver(installSnapshot(3, 5, 3))).toMatchObject([{ matchIndex: 0, term: 4 }]);
    expect(node.context().snapshot).toBeNull();
    await node.advance(100);
    expect(node.role()).toBe('candidate');
  });

  it('a candidate steps down for the leader of its term and installs', async () => {
    node = spawnNode();
    await node.campaign();
    node.deliver(installSnapshot(1, 2, 1));
    expect(node.value()).toEqual({ follower: { waiting: 'leased' } });
    expect(node.context().snapshot?.index).toBe(2);
  });

  it('accepts AppendEntries that start inside its snapshot', () => {
    node = spawnNode();
    node.deliver(installSnapshot(2, 5, 2));
    const out = node.deliver(
      appendEntries('b', 2, {
        prevLogIndex: 3,
        prevLogTerm: 1,
        entries: entriesWithTerms(1, 2, 2, 2),
        leaderCommit: 7,
      }),
    );
    expect(out).toMatchObject([{ success: true, matchIndex: 7 }]);
    expect([node.context().log.lastIndex, node.context().log.termAt(7), node.context().commitIndex]).toEqual([
      7, 2, 7,
    ]);
  });
});

describe('leader with a compacted log', () => {
  it('sends its snapshot to a follower that needs compacted entries, then streams the rest', async () => {
    node = spawnNode({
      entries: entriesWithTerms(1, 1, 1, 1),
      hardState: { currentTerm: 1, votedFor: null },
    });
    await node.lead(); // term 2; c is probing at nextIndex 5
    node.deliver(appendAccepted('b', 2, 4));
    node.deliver({ type: 'Propose', commands: ['x'] });
    node.deliver({ type: 'Flush' });
    node.deliver({ type: 'LogPersisted', index: 5, term: 2 });
    node.deliver(appendAccepted('b', 2, 5));
    expect(node.context().commitIndex).toBe(5);
    node.deliver({ type: 'Snapshot', index: 4, data: 'app@4' });

    const conflict = { conflictTerm: 0, conflictIndex: 1, logLength: 0 };
    const out = node.deliver(appendRejected('c', 2, conflict, node.lastAppendTo('c')));
    expect(out).toMatchObject([
      {
        type: 'InstallSnapshot',
        to: 'c',
        lastIncludedIndex: 4,
        lastIncludedTerm: 1,
        data: 'app@4',
        done: true,
      },
    ]);
    const probe = out[0] as InstallSnapshot;
    expect(node.context().progress.c).toMatchObject({ mode: 'probe', probeRpcId: probe.rpcId });

    // Heartbeats retry with an empty probe at the snapshot's boundary, not the snapshot.
    const beats = await node.advance(150);
    expect(beats.filter((m) => m.to === 'c')).toMatchObject([
      { type: 'AppendEntries', prevLogIndex: 4, entries: [] },
    ]);

    const reply = {
      type: 'InstallSnapshotReply',
      from: 'c',
      to: 'a',
      term: 2,
      inReplyTo: probe.rpcId,
      matchIndex: 4,
    } as const;
    expect(node.deliver(reply)).toMatchObject([
      { type: 'AppendEntries', to: 'c', prevLogIndex: 4, entries: [{ command: 'x' }] },
    ]);
    expect(node.context().progress.c).toMatchObject({ mode: 'replicate', matchIndex: 4, nextIndex: 6 });
  });
});
