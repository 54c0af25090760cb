import { describe, expect, it } from 'vitest';
import { raftMachine } from '../../machines/index.js';
import type { RaftMessage } from '../../machines/index.js';
import { chartTransitions, transitionKey } from '../../src/inspect/chart-outline.js';
import { defaultPartition, linksAfter, parsePartition } from '../../visualize/src/link-changes.js';
import type { Links } from '../../visualize/src/link-changes.js';
import { messageLook } from '../../visualize/src/message-look.js';
import { SourceChoiceError, chooseSource, urlWithSeed } from '../../visualize/src/source-choice.js';
import { parseOutlineLine, takenTransitions, triggerOf } from '../../visualize/src/transition-match.js';
import type { StepView } from '../../visualize/src/view-state.js';
import { linkKey } from '../../visualize/src/view-state.js';

describe('source from the URL', () => {
  const never = () => {
    throw new Error('no random seed wanted');
  };

  it('is a simulation by default, with a random seed the page then puts in the URL', () => {
    expect(chooseSource('', () => 42)).toEqual({
      kind: 'simulation',
      seed: 42,
      nodes: 5,
      unreliable: false,
      speed: 1,
      seedChosen: true,
    });
    expect(urlWithSeed('http://h/p/?speed=2', 42, 5)).toBe('http://h/p/?speed=2&seed=42&nodes=5');
  });

  it('replays ?seed=&nodes= and reads unreliable and speed', () => {
    expect(chooseSource('?seed=7&nodes=3&unreliable=1&speed=10', never)).toEqual({
      kind: 'simulation',
      seed: 7,
      nodes: 3,
      unreliable: true,
      speed: 10,
      seedChosen: false,
    });
  });

  it('opens a live cluster or recordings', () => {
    expect(chooseSource('?live=http://127.0.0.1:4000/', never)).toEqual({
      kind: 'live',
      supervisorUrl: 'http://127.0.0.1:4000',
      token: null,
    });
    expect(chooseSource('?live=http://h:1&token=abc', never)).toMatchObject({ token: 'abc' });
    expect(chooseSource('?recording', never)).toEqual({ kind: 'recording' });
  });

  it('refuses options it cannot use, saying what is wanted', () => {
    expect(() => chooseSource('?seed=x', never)).toThrow(SourceChoiceError);
    expect(() => chooseSource('?seed=1&nodes=0', never)).toThrow(/nodes must be an integer from 1 to 9/);
    expect(() => chooseSource('?seed=1&speed=-1', never)).toThrow(/speed/);
    expect(() => chooseSource('?live=', never)).toThrow(/supervisor URL/);
  });
});

describe('links the page changed', () => {
  const ids = ['0', '1', '2', '3', '4'];
  const none: Links = { disconnected: new Set(), cut: new Set() };

  it('disconnects and reconnects a node; a restart reconnects it', () => {
    const off = linksAfter(none, { kind: 'disconnect', id: '2' }, ids);
    expect([...off.disconnected]).toEqual(['2']);
    expect([...linksAfter(off, { kind: 'reconnect', id: '2' }, ids).disconnected]).toEqual([]);
    expect([...linksAfter(off, { kind: 'restart', id: '2' }, ids).disconnected]).toEqual([]);
  });

  it('cuts and heals one direction of a link', () => {
    const cut = linksAfter(none, { kind: 'setLink', from: '0', to: '1', up: false }, ids);
    expect([...cut.cut]).toEqual([linkKey('0', '1')]);
    expect([...linksAfter(cut, { kind: 'setLink', from: '0', to: '1', up: true }, ids).cut]).toEqual([]);
  });

  it('partitions into groups (replacing earlier cuts, a node in no group alone), and heals all', () => {
    const earlier = linksAfter(none, { kind: 'setLink', from: '3', to: '4', up: false }, ids);
    const split = linksAfter(
      earlier,
      {
        kind: 'partition',
        groups: [
          ['0', '1'],
          ['2', '3'],
        ],
      },
      ids,
    );
    const pairs = [...split.cut].sort();
    expect(pairs).toContain(linkKey('0', '2'));
    expect(pairs).toContain(linkKey('3', '1'));
    expect(pairs).toContain(linkKey('4', '3')); // 4 is alone
    expect(pairs).not.toContain(linkKey('0', '1'));
    expect(pairs).not.toContain(linkKey('2', '3'));
    expect(pairs).toHaveLength(2 * 2 * 2 + 4 * 2);
    const healed = linksAfter(split, { kind: 'heal' }, ids);
    expect([healed.cut.size, healed.disconnected.size]).toEqual([0, 0]);
  });

  it('reads a partition as two groups split by |', () => {
    expect(defaultPartition(ids)).toBe('0 1 | 2 3 4');
    expect(parsePartition(' 0,1 |2 3 4', ids)).toEqual([
      ['0', '1'],
      ['2', '3', '4'],
    ]);
    expect(() => parsePartition('0 1', ids)).toThrow(/two groups/);
    expect(() => parsePartition('0 9 | 1', ids)).toThrow(/no node "9"/);
    expect(() => parsePartition('0 1 | 1 2', ids)).toThrow(/in both groups/);
  });
});

describe('the transition a step took', () => {
  const chart = chartTransitions(raftMachine).map((t) => parseOutlineLine(transitionKey(t))!);
  const step = (event: string, from: string, to: string, timerSet = from !== to): StepView => ({
    at: 0,
    event,
    transitions: [],
    from,
    to,
    timerSet,
  });
  const taken = (s: StepView) => takenTransitions(s, chart).map((key) => key.split(' / ')[0]);

  it('reads every line of the chart outline', () => {
    expect(chart.every((t) => t !== null)).toBe(true);
    expect(
      chart
        .filter((t) => t.trigger === 'after electionTimeout' && t.source === 'follower.waiting')
        .map((t) => t.target),
    ).toEqual(['follower.waiting', 'preCandidate', 'candidate']);
    expect(
      parseOutlineLine('(any role): Snapshot [isSnapshotUseful] (targetless) / takeSnapshot'),
    ).toMatchObject({
      source: '',
      trigger: 'Snapshot',
      target: null,
    });
  });

  it('names timers as the chart does', () => {
    expect(triggerOf('xstate.after.electionTimeout.raft.follower.waiting')).toBe('after electionTimeout');
    expect(triggerOf('xstate.init')).toBeNull();
    expect(triggerOf('AppendEntries')).toBe('AppendEntries');
  });

  it('finds a timeout, a re-entered heartbeat and a step down', () => {
    const electionTimeout = 'xstate.after.electionTimeout.raft.follower.waiting';
    // The election timer sits on follower.waiting; it fires in either of its children.
    expect(taken(step(electionTimeout, 'follower.waiting.lapsed', 'candidate.campaigning'))).toEqual([
      'follower.waiting: after electionTimeout -> candidate',
    ]);
    expect(taken(step(electionTimeout, 'follower.waiting.leased', 'preCandidate.polling'))).toEqual([
      'follower.waiting: after electionTimeout [usesPreVote] -> preCandidate',
    ]);
    expect(taken(step(electionTimeout, 'follower.waiting.lapsed', 'follower.waiting.leased'))).toEqual([
      'follower.waiting: after electionTimeout [isNotVoter] -> follower.waiting (re-entered)',
    ]);
    // Two guarded alternatives re-enter it: both fit, the guards are not seen.
    expect(
      taken(
        step(
          'xstate.after.heartbeatInterval.raft.leader.heartbeating',
          'leader.heartbeating',
          'leader.heartbeating',
        ),
      ),
    ).toEqual([
      'leader.heartbeating: after heartbeatInterval [isTransferOverdue] -> leader.heartbeating (re-entered)',
      'leader.heartbeating: after heartbeatInterval -> leader.heartbeating (re-entered)',
    ]);
    expect(taken(step('AppendEntries', 'leader.heartbeating', 'follower.waiting.leased'))).toEqual([
      'leader: AppendEntries [isHigherTerm] -> follower',
    ]);
    expect(
      taken(
        step(
          'xstate.after.heartbeatInterval.raft.leader.heartbeating',
          'leader.heartbeating',
          'follower.waiting.leased',
        ),
      ),
    ).toEqual(['leader.heartbeating: after heartbeatInterval [hasLostQuorum] -> follower']);
  });

  it('finds the lease lapsing, and a leader heard again renewing it', () => {
    expect(
      taken(
        step(
          'xstate.after.leaderLease.raft.follower.waiting.leased',
          'follower.waiting.leased',
          'follower.waiting.lapsed',
        ),
      ),
    ).toEqual(['follower.waiting.leased: after leaderLease -> follower.waiting.lapsed']);
    expect(taken(step('AppendEntries', 'follower.waiting.lapsed', 'follower.waiting.leased'))).toEqual([
      'follower: AppendEntries [logMatchesPrev] -> follower.waiting',
      'follower: AppendEntries -> follower.waiting',
    ]);
  });

  it('tells a state re-entered (its timer set anew) from an event handled in place', () => {
    expect(taken(step('AppendEntries', 'follower.waiting.leased', 'follower.waiting.leased', true))).toEqual([
      'follower: AppendEntries [logMatchesPrev] -> follower.waiting',
      'follower: AppendEntries -> follower.waiting',
    ]);
    expect(taken(step('AppendEntries', 'follower.waiting.leased', 'follower.waiting.leased', false))).toEqual(
      ['follower: AppendEntries [isStaleTerm] (targetless)'],
    );
    // The lease's own rows apply only while it runs.
    expect(taken(step('RequestVote', 'follower.waiting.leased', 'follower.waiting.leased', false))).toEqual([
      'follower: RequestVote (targetless)',
      'follower.waiting.leased: RequestVote [isLeaderSticky] (targetless)',
    ]);
    expect(taken(step('RequestVote', 'follower.waiting.lapsed', 'follower.waiting.lapsed', false))).toEqual([
      'follower: RequestVote (targetless)',
    ]);
  });

  it('finds a pre-vote handled in place and the always that makes a candidate', () => {
    expect(taken(step('PreVoteReply', 'preCandidate.polling', 'candidate.campaigning'))).toEqual([
      'preCandidate: PreVoteReply [isPreVoteForThisRound] (targetless)',
      'preCandidate.polling: always [hasPreVoteQuorum] -> candidate',
    ]);
    expect(taken(step('TimeoutNow', 'follower.waiting.leased', 'candidate.campaigning'))).toEqual([
      'follower: TimeoutNow [isTimeoutNowToVoter] -> candidate',
    ]);
  });

  it('finds a vote handled in place and the always that makes a leader', () => {
    expect(taken(step('RequestVoteReply', 'candidate.campaigning', 'leader.heartbeating'))).toEqual([
      'candidate: RequestVoteReply [isVoteForThisElection] (targetless)',
      'candidate.campaigning: always [hasVoteQuorum] -> leader',
    ]);
  });

  it('takes the transition the feed names, and none for a start', () => {
    expect(
      takenTransitions({ ...step('x', 'a', 'b'), transitions: ['exact key', 'then this'] }, chart),
    ).toEqual(['exact key', 'then this']);
    expect(takenTransitions(step('xstate.init', 'follower.waiting', 'follower.waiting'), chart)).toEqual([]);
  });
});

describe('message labels', () => {
  const base = { from: '0', to: '1', term: 3 } as const;
  it('say the type, the answer and the term; replies are marked as such', () => {
    const cases: [RaftMessage, string, boolean][] = [
      [{ ...base, type: 'RequestVote', rpcId: 1, lastLogIndex: 0, lastLogTerm: 0 }, 'RV t3', false],
      [{ ...base, type: 'RequestVoteReply', inReplyTo: 1, voteGranted: false }, 'RV✗ t3', true],
      [
        {
          ...base,
          type: 'AppendEntries',
          rpcId: 2,
          prevLogIndex: 0,
          prevLogTerm: 0,
          entries: [],
          leaderCommit: 0,
        },
        'HB t3',
        false,
      ],
      [{ ...base, type: 'AppendEntriesReply', inReplyTo: 2, success: true, matchIndex: 4 }, 'AE✓ t3', true],
      [
        {
          ...base,
          type: 'InstallSnapshot',
          rpcId: 3,
          lastIncludedIndex: 9,
          lastIncludedTerm: 2,
          offset: 0,
          data: '',
          done: true,
        },
        'IS t3',
        false,
      ],
    ];
    for (const [message, label, reply] of cases) expect(messageLook(message)).toMatchObject({ label, reply });
  });
});
