/**
 * ReadIndex rules on one node driven by the pure step: when a leader may answer a read,
 * what a follower does with its reads, and that leaving a role refuses what it holds.
 */
import { describe, expect, it } from 'vitest';
import type {
  AppendEntries,
  RaftMessage,
  RaftState,
  RaftTiming,
  ReadIndexReply,
  StepEvent,
  StepResult,
} from '../../machines/index.js';
import { initialStep, quorumAcked, step } from '../../machines/index.js';

const TIMING: RaftTiming = { heartbeatIntervalMs: 100, electionTimeoutMinMs: 500, electionTimeoutMaxMs: 500 };
const FOLLOWER_TIMEOUT = 'xstate.after.electionTimeout.raft.follower.waiting';

/** Steps through events, keeping every result. */
class Driver {
  state: RaftState;
  results: StepResult[] = [];

  constructor(id = 'a', peers = ['b', 'c']) {
    this.state = initialStep({ id, peers, timing: TIMING }).state;
  }

  send(event: StepEvent): StepResult {
    const result = step(this.state, event);
    this.state = result.state;
    this.results.push(result);
    return result;
  }

  get context() {
    return this.state.context;
  }
}

/** Node a, leader of term 1 with its no-op (index 1) durable and on b, so committed. */
function committedLeader(): Driver {
  const a = new Driver();
  a.send({ type: FOLLOWER_TIMEOUT });
  a.send({ type: 'RequestVoteReply', from: 'b', to: 'a', term: 1, inReplyTo: 1, voteGranted: true });
  expect(a.state.role).toBe('leader');
  a.send({ type: 'LogPersisted', index: 1, term: 1 });
  const probe = lastAppendTo(a, 'b');
  a.send(accepted('b', probe.rpcId, 1));
  expect(a.context.commitIndex).toBe(1);
  return a;
}

function accepted(from: string, inReplyTo: number, matchIndex: number, term = 1): StepEvent {
  return { type: 'AppendEntriesReply', from, to: 'a', term, inReplyTo, success: true, matchIndex };
}

function sentBy(driver: Driver): RaftMessage[] {
  return driver.results.flatMap((r) => r.messages);
}

function lastAppendTo(driver: Driver, peer: string): AppendEntries {
  const appends = sentBy(driver).filter(
    (m): m is AppendEntries => m.type === 'AppendEntries' && m.to === peer,
  );
  const last = appends.at(-1);
  if (last === undefined) throw new Error(`no AppendEntries to ${peer}`);
  return last;
}

describe('ReadIndex on a leader', () => {
  it('queues the reads of one round as one batch, and never takes an acknowledgement back', () => {
    const a = committedLeader();
    const after = a.context.nextRpcId;
    a.send({ type: 'Read', ids: [1] });
    a.send({ type: 'Read', ids: [2] });
    a.send({ type: 'Read', ids: [3] });
    expect(a.context.reads.waiting).toEqual([{ kind: 'local', ids: [1, 2, 3], after }]);
    const round = a.send({ type: 'Flush' });
    a.send({ type: 'Read', ids: [4] });
    a.send({ type: 'Read', ids: [5] });
    expect(a.context.reads.waiting).toEqual([
      { kind: 'local', ids: [1, 2, 3], after },
      { kind: 'local', ids: [4, 5], after: a.context.nextRpcId },
    ]);
    const toB = round.messages.find((m): m is AppendEntries => m.type === 'AppendEntries' && m.to === 'b')!;
    const acked = a.context.reads.acked.b ?? 0;
    expect(toB.rpcId).toBeGreaterThan(acked);
    a.send(accepted('b', toB.rpcId, 1));
    expect(a.context.reads.acked.b).toBe(toB.rpcId);
    a.send(accepted('b', toB.rpcId - 1, 1)); // a late reply to an older request
    expect(a.context.reads.acked.b).toBe(toB.rpcId);
  });

  it("answers its own reads to the host and a follower's with a message, each only to whom it belongs", () => {
    for (const asked of [['local', 'remote'], ['local'], ['remote']]) {
      const a = committedLeader();
      if (asked.includes('local')) a.send({ type: 'Read', ids: [7] });
      if (asked.includes('remote')) a.send({ type: 'ReadIndex', from: 'b', to: 'a', term: 1, rpcId: 50 });
      const round = a.send({ type: 'Flush' });
      const toC = round.messages.find((m): m is AppendEntries => m.type === 'AppendEntries' && m.to === 'c')!;
      const confirmed = a.send(accepted('c', toC.rpcId, 1));
      expect(confirmed.reads, asked.join()).toEqual(
        asked.includes('local') ? [{ type: 'answerReads', ids: [7], index: 1 }] : [],
      );
      expect(
        confirmed.effects.filter((e) => e.type === 'send'),
        asked.join(),
      ).toEqual(
        asked.includes('remote')
          ? [
              {
                type: 'send',
                messages: [
                  { type: 'ReadIndexReply', from: 'a', to: 'b', term: 1, inReplyTo: 50, readIndex: 1 },
                ],
              },
            ]
          : [],
      );
    }
  });

  it('answers a read once a quorum answered a request sent after it, with the commit index', () => {
    const a = committedLeader();
    const earlier = lastAppendTo(a, 'c');
    expect(a.send({ type: 'Read', ids: [7, 8] }).reads).toEqual([]);
    const round = a.send({ type: 'Flush' });
    const toC = round.messages.find((m): m is AppendEntries => m.type === 'AppendEntries' && m.to === 'c')!;
    expect(toC.rpcId).toBeGreaterThan(earlier.rpcId);
    // A reply to a request sent before the read proves nothing about now.
    expect(a.send(accepted('c', earlier.rpcId, 1)).reads).toEqual([]);
    expect(a.send(accepted('c', toC.rpcId, 1)).reads).toEqual([
      { type: 'answerReads', ids: [7, 8], index: 1 },
    ]);
    expect(a.context.reads.waiting).toEqual([]);
  });

  it('holds reads until an entry of its own term is committed', () => {
    const a = new Driver();
    a.send({ type: FOLLOWER_TIMEOUT });
    a.send({ type: 'RequestVoteReply', from: 'b', to: 'a', term: 1, inReplyTo: 1, voteGranted: true });
    // b answers the new leader's first round: the read's round may go.
    a.send(accepted('b', lastAppendTo(a, 'b').rpcId, 1));
    a.send({ type: 'Read', ids: [1] });
    const round = a.send({ type: 'Flush' });
    const toB = round.messages.find((m): m is AppendEntries => m.type === 'AppendEntries' && m.to === 'b')!;
    // b answers the round, but the no-op is not durable on a yet: nothing is committed.
    expect(a.send(accepted('b', toB.rpcId, 1)).reads).toEqual([]);
    expect(quorumAcked(a.context)).toBe(toB.rpcId);
    expect(a.send({ type: 'LogPersisted', index: 1, term: 1 }).reads).toEqual([
      { type: 'answerReads', ids: [1], index: 1 },
    ]);
  });

  it('sends one round at a time: reads arriving while one is out share the next', () => {
    const a = committedLeader();
    a.send({ type: 'Read', ids: [1] });
    const first = a.send({ type: 'Flush' }).messages.filter((m) => m.type === 'AppendEntries');
    expect(first.map((m) => m.to)).toEqual(['b', 'c']);
    // Two more turns of reads while the first round is out: no round for them yet.
    a.send({ type: 'Read', ids: [2] });
    expect(a.send({ type: 'Flush' }).messages).toEqual([]);
    a.send({ type: 'Read', ids: [3] });
    expect(a.send({ type: 'Flush' }).messages).toEqual([]);
    // The first round comes back from a quorum: read 1 is answered, and the next round goes.
    const back = a.send(accepted('b', first[0]!.rpcId, 1));
    expect(back.reads).toEqual([{ type: 'answerReads', ids: [1], index: 1 }]);
    const second = a.send({ type: 'Flush' }).messages.filter((m) => m.type === 'AppendEntries');
    expect(second).toHaveLength(2);
    expect(a.send(accepted('c', second[1]!.rpcId, 1)).reads).toEqual([
      { type: 'answerReads', ids: [2, 3], index: 1 },
    ]);
  });

  it('refuses every read it holds when it steps down, answering followers too', () => {
    const a = committedLeader();
    a.send({ type: 'Read', ids: [3] });
    a.send({ type: 'ReadIndex', from: 'b', to: 'a', term: 1, rpcId: 40 });
    const down = a.send({
      type: 'AppendEntries',
      from: 'c',
      to: 'a',
      term: 2,
      rpcId: 90,
      prevLogIndex: 0,
      prevLogTerm: 0,
      entries: [],
      leaderCommit: 0,
    });
    expect(a.state.role).toBe('follower');
    expect(down.reads).toEqual([{ type: 'answerReads', ids: [3], index: null }]);
    expect(down.messages).toContainEqual({
      type: 'ReadIndexReply',
      from: 'a',
      to: 'b',
      term: 1,
      inReplyTo: 40,
      readIndex: null,
    } satisfies ReadIndexReply);
    expect(a.context.reads.waiting).toEqual([]);
  });

  it("on stepping down, refuses its own reads to the host and a follower's with a message, nothing more", () => {
    for (const asked of [['local'], ['remote']]) {
      const a = committedLeader();
      if (asked.includes('local')) a.send({ type: 'Read', ids: [3] });
      if (asked.includes('remote')) a.send({ type: 'ReadIndex', from: 'b', to: 'a', term: 1, rpcId: 40 });
      const down = a.send({
        type: 'RequestVoteReply',
        from: 'c',
        to: 'a',
        term: 2,
        inReplyTo: 9,
        voteGranted: false,
      });
      expect(a.state.role).toBe('follower');
      expect(down.reads, asked.join()).toEqual(
        asked.includes('local') ? [{ type: 'answerReads', ids: [3], index: null }] : [],
      );
      expect(down.messages, asked.join()).toEqual(
        asked.includes('remote')
          ? [{ type: 'ReadIndexReply', from: 'a', to: 'b', term: 1, inReplyTo: 40, readIndex: null }]
          : [],
      );
    }
  });

  it("answers a follower's ReadIndex after the round, and refuses one of an older term", () => {
    const a = committedLeader();
    a.send({ type: 'ReadIndex', from: 'b', to: 'a', term: 1, rpcId: 41 });
    const round = a.send({ type: 'Flush' });
    const toB = round.messages.find((m): m is AppendEntries => m.type === 'AppendEntries' && m.to === 'b')!;
    const answered = a.send(accepted('b', toB.rpcId, 1));
    expect(answered.messages).toContainEqual({
      type: 'ReadIndexReply',
      from: 'a',
      to: 'b',
      term: 1,
      inReplyTo: 41,
      readIndex: 1,
    });
    const stale = a.send({ type: 'ReadIndex', from: 'c', to: 'a', term: 0, rpcId: 5 });
    expect(stale.messages).toEqual([
      { type: 'ReadIndexReply', from: 'a', to: 'c', term: 1, inReplyTo: 5, readIndex: null },
    ]);
  });

  it('a one-node cluster answers at once, without a round', () => {
    const solo = new Driver('a', []);
    solo.send({ type: FOLLOWER_TIMEOUT });
    expect(solo.state.role).toBe('leader');
    solo.send({ type: 'LogPersisted', index: 1, term: 1 });
    const read = solo.send({ type: 'Read', ids: [1] });
    expect(read.reads).toEqual([{ type: 'answerReads', ids: [1], index: 1 }]);
    expect(solo.send({ type: 'Flush' }).messages).toEqual([]);
  });
});

describe('ReadIndex on a follower and a candidate', () => {
  function followerOfB(): Driver {
    const a = new Driver();
    a.send({
      type: 'AppendEntries',
      from: 'b',
      to: 'a',
      term: 1,
      rpcId: 1,
      prevLogIndex: 0,
      prevLogTerm: 0,
      entries: [],
      leaderCommit: 0,
    });
    expect(a.context.leaderId).toBe('b');
    return a;
  }

  it('asks the leader once for a batch, and answers with its read index', () => {
    const a = followerOfB();
    const asked = a.send({ type: 'Read', ids: [1, 2, 3] });
    expect(asked.messages).toEqual([{ type: 'ReadIndex', from: 'a', to: 'b', term: 1, rpcId: 1 }]);
    const answer = a.send({
      type: 'ReadIndexReply',
      from: 'b',
      to: 'a',
      term: 1,
      inReplyTo: 1,
      readIndex: 9,
    });
    expect(answer.reads).toEqual([{ type: 'answerReads', ids: [1, 2, 3], index: 9 }]);
    // An answer to nothing it asked changes nothing.
    expect(
      a.send({ type: 'ReadIndexReply', from: 'b', to: 'a', term: 1, inReplyTo: 1, readIndex: 9 }).reads,
    ).toEqual([]);
  });

  it('leaves its role with no read asked, refusing none and keeping none', () => {
    const idle = new Driver();
    expect(idle.send({ type: FOLLOWER_TIMEOUT }).reads).toEqual([]);
    const a = followerOfB();
    a.send({ type: 'Read', ids: [4] });
    const left = a.send({ type: FOLLOWER_TIMEOUT });
    expect(left.reads).toEqual([{ type: 'answerReads', ids: [4], index: null }]);
    expect(a.context.reads.asked).toEqual([]);
  });

  it('refuses reads asked of a leader it no longer follows, and all of them on leaving', () => {
    const a = followerOfB();
    a.send({ type: 'Read', ids: [1] });
    const moved = a.send({
      type: 'AppendEntries',
      from: 'c',
      to: 'a',
      term: 2,
      rpcId: 1,
      prevLogIndex: 0,
      prevLogTerm: 0,
      entries: [],
      leaderCommit: 0,
    });
    expect(moved.reads).toEqual([{ type: 'answerReads', ids: [1], index: null }]);
    a.send({ type: 'Read', ids: [2] });
    const left = a.send({ type: FOLLOWER_TIMEOUT });
    expect(a.state.role).toBe('candidate');
    expect(left.reads).toEqual([{ type: 'answerReads', ids: [2], index: null }]);
  });

  it('refuses at once when it knows no leader; a candidate refuses too', () => {
    const a = new Driver();
    expect(a.send({ type: 'Read', ids: [1] }).reads).toEqual([
      { type: 'answerReads', ids: [1], index: null },
    ]);
    a.send({ type: FOLLOWER_TIMEOUT });
    expect(a.send({ type: 'Read', ids: [2] }).reads).toEqual([
      { type: 'answerReads', ids: [2], index: null },
    ]);
    expect(a.send({ type: 'ReadIndex', from: 'b', to: 'a', term: 1, rpcId: 3 }).messages).toEqual([
      { type: 'ReadIndexReply', from: 'a', to: 'b', term: 1, inReplyTo: 3, readIndex: null },
    ]);
  });
});
