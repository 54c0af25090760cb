import { describe, expect, it } from 'vitest';
import { summary } from './view-state-fixtures.js';
import type { NodeId, RaftMessage } from '../../machines/index.js';
import type { InspectEvent, NodeSummary } from '../../src/inspect/inspect-event.js';
import {
  LANDED_KEEP,
  applyEvent,
  initialViewState,
  isPartitioned,
  linkKey,
  linkUp,
  reduceView,
  timelineOf,
} from '../../visualize/src/view-state.js';
import type { ViewEvent } from '../../visualize/src/view-state.js';

const ids = ['0', '1', '2'];

function step(at: number, node: NodeId, over: Partial<NodeSummary>, event = 'AppendEntries'): InspectEvent {
  return { type: 'step', at, node, event, transitions: [], summary: summary(over) };
}

const vote = (from: NodeId, to: NodeId, term: number): RaftMessage => ({
  type: 'RequestVote',
  from,
  to,
  term,
  rpcId: 1,
  lastLogIndex: 0,
  lastLogTerm: 0,
});

/** A 3-node election: node 1 times out, wins term 1, commits its no-op. */
const election: ViewEvent[] = [
  ...ids.map((node): InspectEvent => ({ type: 'nodeUp', at: 0, node, summary: summary() })),
  { type: 'timer', at: 0, node: '1', timer: 'electionTimeout', deadline: 400 },
  { type: 'timer', at: 400, node: '1', timer: 'electionTimeout', deadline: null },
  step(400, '1', { role: 'candidate', state: 'candidate.campaigning', term: 1, votedFor: '1', votes: ['1'] }),
  { type: 'timer', at: 400, node: '1', timer: 'electionTimeout', deadline: 900 },
  { type: 'message', at: 400, id: 'm1', phase: 'sent', message: vote('1', '0', 1), deliverAt: 410 },
  { type: 'message', at: 400, id: 'm2', phase: 'sent', message: vote('1', '2', 1), deliverAt: 420 },
  { type: 'message', at: 410, id: 'm1', phase: 'delivered', message: vote('1', '0', 1) },
  { type: 'message', at: 411, id: 'm2', phase: 'dropped', message: vote('1', '2', 1), reason: 'unreliable' },
  step(412, '1', { role: 'leader', state: 'leader.heartbeating', term: 1, votedFor: '1', leaderId: '1' }),
  step(430, '1', {
    role: 'leader',
    state: 'leader.heartbeating',
    term: 1,
    leaderId: '1',
    commitIndex: 1,
    lastLogIndex: 1,
    logTerms: [1],
  }),
  { type: 'fault', at: 500, description: 'crash node 2' },
  { type: 'nodeDown', at: 500, node: '2', reason: 'crashed' },
];

describe('view state', () => {
  it('starts with every node listed, down and without a summary', () => {
    const state = initialViewState(ids);
    expect(state.ids).toEqual(ids);
    expect(Object.values(state.nodes).map((n) => [n.up, n.summary])).toEqual([
      [false, null],
      [false, null],
      [false, null],
    ]);
  });

  it('marks a node up when it starts, and reports down only a node that was up', () => {
    const started = reduceView(ids, election, 1);
    expect(started.nodes['0']!.up).toBe(true);
    expect(started.nodes['1']!.up).toBe(false);
    const never = applyEvent(initialViewState(ids), {
      type: 'nodeDown',
      at: 0,
      node: '1',
      reason: 'starting',
    });
    expect([never.nodes['1']!.up, never.entry]).toEqual([false, null]);
  });

  it('follows roles, terms and the leader through an election', () => {
    const state = reduceView(ids, election);
    const leader = state.nodes['1']!;
    expect(leader.summary?.role).toBe('leader');
    expect(leader.summary?.term).toBe(1);
    expect(leader.summary?.commitIndex).toBe(1);
    expect(leader.lastStep).toMatchObject({
      from: 'leader.heartbeating',
      to: 'leader.heartbeating',
      at: 430,
    });
    expect(state.count).toBe(election.length);
    expect(state.at).toBe(500);
  });

  it('says whether a step set a timer (entered a state) or left the running one alone', () => {
    // Node 1's step to candidate at 400 comes before the timer it set then: not seen at the step.
    expect(reduceView(ids, election, 6).nodes['1']!.lastStep?.timerSet).toBe(false);
    // A node's feed reports the timers a step sets before the step itself.
    const campaigning = reduceView(ids, [...election.slice(0, 5), election[6]!, election[5]!]);
    expect(campaigning.nodes['1']!.lastStep?.timerSet).toBe(true);
  });

  it('keeps timers with their deadlines, cancels them, and a moved timer keeps when it was set', () => {
    const at5 = reduceView(ids, election, 4);
    expect(at5.nodes['1']!.timers.electionTimeout).toEqual({
      kind: 'electionTimeout',
      setAt: 0,
      deadline: 400,
    });
    expect(reduceView(ids, election, 5).nodes['1']!.timers.electionTimeout).toBeUndefined();
    const moved = applyEvent(at5, {
      type: 'timer',
      at: 100,
      node: '1',
      timer: 'electionTimeout',
      deadline: 250,
    });
    expect(moved.nodes['1']!.timers.electionTimeout).toEqual({
      kind: 'electionTimeout',
      setAt: 0,
      deadline: 250,
    });
  });

  it('tracks messages in flight and remembers how the last ones ended', () => {
    const sent = reduceView(ids, election, 9);
    expect([...sent.flights.values()].map((f) => [f.id, f.sentAt, f.dueAt])).toEqual([
      ['m1', 400, 410],
      ['m2', 400, 420],
    ]);
    const ended = reduceView(ids, election, 11);
    expect(ended.flights.size).toBe(0);
    expect(ended.landed.map((f) => [f.id, f.outcome, f.sentAt, f.endedAt, f.reason])).toEqual([
      ['m1', 'delivered', 400, 410, null],
      ['m2', 'dropped', 400, 411, 'unreliable'],
    ]);
  });

  it('shows a message dropped as it was sent, and forgets one never reported again', () => {
    let state = initialViewState(ids);
    state = applyEvent(state, {
      type: 'message',
      at: 5,
      id: 'x',
      phase: 'dropped',
      message: vote('0', '1', 1),
    });
    expect(state.landed[0]).toMatchObject({ sentAt: 5, endedAt: 5, outcome: 'dropped' });
    state = applyEvent(state, {
      type: 'message',
      at: 10,
      id: 'y',
      phase: 'sent',
      message: vote('0', '1', 1),
    });
    state = applyEvent(state, {
      type: 'message',
      at: 9000,
      id: 'z',
      phase: 'sent',
      message: vote('0', '2', 1),
    });
    expect([...state.flights.keys()]).toEqual(['z']);
  });

  it('remembers at most LANDED_KEEP finished messages', () => {
    let state = initialViewState(ids);
    for (let i = 0; i < LANDED_KEEP + 10; i++) {
      state = applyEvent(state, {
        type: 'message',
        at: i,
        id: `d${i}`,
        phase: 'delivered',
        message: vote('0', '1', 1),
      });
    }
    expect(state.landed).toHaveLength(LANDED_KEEP);
    expect(state.landed.at(-1)!.id).toBe(`d${LANDED_KEEP + 9}`);
  });

  it('marks a node down with its reason, without timers, keeping its last summary', () => {
    const state = reduceView(ids, [
      ...election.slice(0, 4),
      { type: 'nodeDown', at: 450, node: '1', reason: 'crashed' },
    ]);
    const node = state.nodes['1']!;
    expect([node.up, node.downReason, node.timers]).toEqual([false, 'crashed', {}]);
    expect(node.summary).not.toBeNull();
  });

  it('makes the timeline: starts, elections, leaders, commits, faults, with time since the first event', () => {
    expect(timelineOf(ids, election).map((e) => e.text)).toEqual([
      't=0.000s node 0 up term 0',
      't=0.000s node 1 up term 0',
      't=0.000s node 2 up term 0',
      't=0.400s node 1 candidate term 1',
      't=0.412s node 1 leader term 1',
      't=0.430s node 1 committed 1 term 1',
      't=0.500s crash node 2',
      't=0.500s node 2 down (crashed)',
    ]);
    const entries = timelineOf(ids, election);
    expect(entries.map((e) => e.index)).toEqual([0, 1, 2, 5, 11, 12, 13, 14]);
    expect(entries.map((e) => election[e.index]!.at)).toEqual(entries.map((e) => e.at));
  });

  it('names a restart, a new election by a candidate and a step down', () => {
    const events: ViewEvent[] = [
      { type: 'nodeUp', at: 1000, node: '0', summary: summary() },
      step(1100, '0', { role: 'candidate', term: 1 }),
      step(1400, '0', { role: 'candidate', term: 2 }),
      step(1500, '0', { role: 'follower', term: 3 }),
      { type: 'nodeDown', at: 1600, node: '0', reason: 'killed' },
      { type: 'nodeUp', at: 1700, node: '0', summary: summary({ term: 3 }) },
    ];
    expect(timelineOf(ids, events).map((e) => e.text)).toEqual([
      't=0.000s node 0 up term 0',
      't=0.100s node 0 candidate term 1',
      't=0.400s node 0 candidate term 2',
      't=0.500s node 0 follower term 3',
      't=0.600s node 0 down (killed)',
      't=0.700s node 0 restarted term 3',
    ]);
  });

  it('names a pre-vote poll once, for the term it would raise to, apart from the election that follows', () => {
    const polling = { role: 'preCandidate', state: 'preCandidate.polling', term: 2 } as const;
    const events: ViewEvent[] = [
      { type: 'nodeUp', at: 0, node: '0', summary: summary({ term: 2 }) },
      step(300, '0', polling, 'xstate.after.electionTimeout.raft.follower.waiting'),
      step(310, '0', { ...polling, votes: ['0', '1'] }, 'PreVoteReply'), // a vote counted: no new entry
      step(320, '0', { role: 'candidate', state: 'candidate.campaigning', term: 3 }, 'PreVoteReply'),
    ];
    const entries = timelineOf(ids, events);
    expect(entries.map((e) => [e.kind, e.text])).toEqual([
      ['up', 't=0.000s node 0 up term 2'],
      ['poll', 't=0.300s node 0 pre-candidate for term 3'],
      ['election', 't=0.320s node 0 candidate term 3'],
    ]);
  });

  it('adds a node it meets in an event that the source did not list', () => {
    const state = reduceView(ids, [step(1, '7', { term: 2 })]);
    expect(state.ids).toEqual([...ids, '7']);
    expect(state.nodes['7']!.summary?.term).toBe(2);
  });

  it('records the links the page cut and the nodes it disconnected', () => {
    const state = reduceView(ids, [
      { type: 'links', at: 1, disconnected: ['2'], cut: [linkKey('0', '1'), linkKey('1', '0')] },
    ]);
    expect(isPartitioned(state, '2')).toBe(true);
    expect(isPartitioned(state, '0')).toBe(false);
    expect(linkUp(state, '0', '1')).toBe(false);
    expect(linkUp(state, '0', '2')).toBe(false);
    const healed = applyEvent(state, { type: 'links', at: 2, disconnected: [], cut: [] });
    expect([isPartitioned(healed, '2'), linkUp(healed, '0', '1')]).toEqual([false, true]);
    const isolated = applyEvent(healed, {
      type: 'links',
      at: 3,
      disconnected: [],
      cut: [linkKey('0', '1'), linkKey('0', '2')],
    });
    expect(isPartitioned(isolated, '0')).toBe(true);
  });

  it('is pure: an old state is unchanged by later events, and reducing in parts equals reducing at once', () => {
    const half = reduceView(ids, election, 8);
    const copy = JSON.stringify({ ...half, flights: [...half.flights], disconnected: [], cut: [] });
    const all = reduceView(ids, election, election.length, half);
    expect(JSON.stringify({ ...half, flights: [...half.flights], disconnected: [], cut: [] })).toBe(copy);
    expect(all).toEqual(reduceView(ids, election));
  });
});
