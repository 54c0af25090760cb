/**
 * The pure step (machines/step.ts): a node driven by hand, a cluster driven by a tiny
 * deterministic scheduler, replay of a recorded run, and agreement with an actor.
 */
import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import type {
  LogEdit,
  LogEntry,
  HardState,
  NodeId,
  RaftContext,
  RaftInput,
  RaftLog,
  RaftMessage,
  RaftState,
  RaftTiming,
  StartTimerEffect,
  StepEvent,
  StepResult,
} from '../../machines/index.js';
import {
  ArrayRaftLog,
  applyLogEdit,
  initialStep,
  isTimerEvent,
  raftMachine,
  roleOf,
  step,
} from '../../machines/index.js';
import { PersistentRaftLog } from '../../machines/step-log.js';
import { SeededRandom } from '../../src/sim/seeded-random.js';
import { SimClock } from '../../src/sim/sim-clock.js';
import { runDocExample } from '../docs/doc-example.js';

const TIMING: RaftTiming = {
  heartbeatIntervalMs: 100,
  electionTimeoutMinMs: 500,
  electionTimeoutMaxMs: 1000,
};

function input(id: NodeId, peers: readonly NodeId[] = ['a', 'b', 'c'].filter((p) => p !== id)): RaftInput {
  return { id, peers, timing: TIMING };
}

/** The one timer of `timer`'s kind a result started. */
function started(result: StepResult, timer: StartTimerEffect['timer']): StartTimerEffect {
  const found = result.timers.filter((t) => t.type === 'startTimer' && t.timer === timer);
  expect(found).toHaveLength(1);
  return found[0] as StartTimerEffect;
}

function entries(state: RaftState): LogEntry[] {
  const { log } = state.context;
  return log.slice(log.snapshotIndex + 1, log.lastIndex);
}

/** What a replay and the actor must agree on after every step. */
function summary(state: RaftState) {
  return summaryOf(state.snapshot.value, state.context);
}

function summaryOf(value: unknown, context: RaftContext) {
  const { currentTerm, votedFor, commitIndex, leaderId, log } = context;
  return {
    value,
    role: roleOf(value),
    currentTerm,
    votedFor,
    leaderId,
    commitIndex,
    lastIndex: log.lastIndex,
    lastTerm: log.lastTerm,
    entries: log.slice(log.snapshotIndex + 1, log.lastIndex),
  };
}

/** `a` led term 1 by b's vote: the candidate's timer fired, then b granted. */
function leaderA(): StepResult {
  const start = initialStep(input('a'));
  const campaign = step(start.state, started(start, 'electionTimeout').event);
  const [request] = campaign.messages;
  if (request?.type !== 'RequestVote') throw new Error('no RequestVote');
  const granted = {
    type: 'RequestVoteReply',
    from: 'b',
    to: 'a',
    term: 1,
    inReplyTo: request.rpcId,
  } as const;
  return step(campaign.state, { ...granted, voteGranted: true });
}

describe('one node stepped by hand', () => {
  it('starts as a follower whose only effect is its election timer, with the pre-drawn delay', () => {
    const start = initialStep(input('a'), { electionTimeout: 734 });
    expect(start.state.role).toBe('follower');
    const timer = started(start, 'electionTimeout');
    expect(timer).toMatchObject({ delayMs: 734, event: { type: timer.id } });
    // The leader lease runs beside it, for the minimum election timeout, not the drawn one.
    const lease = started(start, 'leaderLease');
    expect(lease).toMatchObject({ delayMs: TIMING.electionTimeoutMinMs, event: { type: lease.id } });
    expect(start.effects).toEqual([timer, lease]);
    expect(start.state.timers).toEqual({ [timer.id]: timer, [lease.id]: lease });
  });

  it('campaigns when the timer fires: RequestVotes out, no log edit, the new term and vote in the state', () => {
    const start = initialStep(input('a'), { electionTimeout: 734 });
    const next = step(start.state, started(start, 'electionTimeout').event, { electionTimeout: 612 });

    expect(next.state.role).toBe('candidate');
    expect(next.state.context).toMatchObject({ currentTerm: 1, votedFor: 'a' });
    const vote = { type: 'RequestVote', from: 'a', term: 1, lastLogIndex: 0, lastLogTerm: 0 };
    expect(next.messages).toEqual([
      { ...vote, to: 'b', rpcId: 1 },
      { ...vote, to: 'c', rpcId: 2 },
    ]);
    expect(next.logEdits).toEqual([]);
    expect(next.hardState).toEqual({ currentTerm: 1, votedFor: 'a' });
    expect(start.hardState).toBeNull();
    // The follower's election timer fired, so there is nothing to cancel but its lease;
    // the candidate's election timer starts.
    const lease = start.state.timers['xstate.after.leaderLease.raft.follower.waiting.leased'];
    expect(lease?.timer).toBe('leaderLease');
    expect(next.timers).toEqual([
      { type: 'cancelTimer', id: lease!.id, timer: 'leaderLease' },
      started(next, 'electionTimeout'),
    ]);
    expect(started(next, 'electionTimeout').delayMs).toBe(612);
    expect(Object.keys(next.state.timers)).toEqual([started(next, 'electionTimeout').id]);
    // The state it was given is untouched.
    expect(start.state.role).toBe('follower');
    expect(start.state.context.currentTerm).toBe(0);
  });

  it('draws the election timeout from an injected source, as the node host does', () => {
    const spans: number[] = [];
    const start = initialStep(input('a'), { electionTimeout: (span) => (spans.push(span), 321) });
    expect(spans).toEqual([500]);
    expect(started(start, 'electionTimeout').delayMs).toBe(821);
    expect(() => initialStep(input('a'), { electionTimeout: 1001 })).toThrow(RangeError);
    expect(() => initialStep(input('a'), { electionTimeout: () => -1 })).toThrow(RangeError);
  });

  it('resolves an eventless transition in the step: a lone node becomes leader when its timer fires', () => {
    const start = initialStep(input('solo', []));
    const next = step(start.state, started(start, 'electionTimeout').event);
    expect(next.state.role).toBe('leader');
    expect(next.state.context).toMatchObject({ currentTerm: 1, votedFor: 'solo', leaderId: 'solo' });
    expect(next.logEdits).toEqual([{ from: 1, entries: [{ term: 1, command: null }] }]);
    expect(next.messages).toEqual([]);
    // The candidate's timer was started and cancelled within the step: it does not appear.
    // The follower's lease, pending before the step, is cancelled.
    expect(next.timers).toEqual([
      {
        type: 'cancelTimer',
        id: 'xstate.after.leaderLease.raft.follower.waiting.leased',
        timer: 'leaderLease',
      },
      started(next, 'heartbeatInterval'),
    ]);
    expect(Object.values(next.state.timers)).toEqual([started(next, 'heartbeatInterval')]);
  });

  it('resolves a raised event in the step: a leader steps down and grants a higher-term vote at once', () => {
    const leader = leaderA();
    expect(leader.state.role).toBe('leader');
    const heartbeat = started(leader, 'heartbeatInterval');
    const request = { type: 'RequestVote', from: 'c', to: 'a', term: 2, rpcId: 9 } as const;
    const next = step(leader.state, { ...request, lastLogIndex: 1, lastLogTerm: 1 });
    expect(next.state.role).toBe('follower');
    expect(next.state.context).toMatchObject({ currentTerm: 2, votedFor: 'c' });
    expect(next.messages).toEqual([
      { type: 'RequestVoteReply', from: 'a', to: 'c', term: 2, inReplyTo: 9, voteGranted: true },
    ]);
    // Heartbeat cancelled; the follower's timers, started on entry and restarted by the
    // grant, appear once each.
    expect(next.timers).toEqual([
      { type: 'cancelTimer', id: heartbeat.id, timer: 'heartbeatInterval' },
      started(next, 'electionTimeout'),
      started(next, 'leaderLease'),
    ]);
    expect(Object.keys(next.state.timers).sort()).toEqual(
      [started(next, 'electionTimeout').id, started(next, 'leaderLease').id].sort(),
    );
  });

  it('ignores a timer that is not pending: a cancelled one firing late changes nothing', () => {
    const leader = leaderA();
    const stale = step(leader.state, { type: 'xstate.after.electionTimeout.raft.candidate.campaigning' });
    expect(stale.state).toBe(leader.state);
    expect(stale.effects).toEqual([]);
  });

  it('never edits the state it steps: two steps from one state branch apart', () => {
    const leader = leaderA();
    const before = summary(leader.state);
    const left = step(leader.state, { type: 'Propose', commands: ['left'] });
    const right = step(leader.state, { type: 'Propose', commands: ['right', 'more'] });
    expect(entries(left.state).map((e) => e.command)).toEqual([null, 'left']);
    expect(entries(right.state).map((e) => e.command)).toEqual([null, 'right', 'more']);
    expect(left.logEdits).toEqual([{ from: 2, entries: [{ term: 1, command: 'left' }] }]);
    expect(summary(leader.state)).toEqual(before);
  });
});

/** A node's recorded run: every event it was fed, with the election timeout of each step. */
interface Trace {
  readonly electionTimeout: number;
  readonly steps: { readonly event: StepEvent; readonly electionTimeout: number }[];
}

interface Scheduled {
  readonly at: number;
  readonly seq: number;
  readonly node: NodeId;
  readonly event: StepEvent;
  /** For a timer: its id, so cancelling it removes it. */
  readonly timerId?: string;
}

const WRITE_MS = 1;
const NETWORK_MS = 5;

/**
 * A three-node cluster driven only by the pure step: one queue of timers, in-flight
 * messages and storage completions, ordered by (time, sequence). Storage is the test's:
 * a step's log edits and changed term or vote go to a per-node "disk", acknowledged
 * WRITE_MS later (log writes with a LogPersisted event); a message leaves once its step's
 * write is done and arrives NETWORK_MS after that.
 */
class TinyCluster {
  now = 0;
  readonly states = new Map<NodeId, RaftState>();
  readonly history = new Map<NodeId, StepResult[]>();
  readonly traces = new Map<NodeId, Trace>();
  readonly disks = new Map<NodeId, { log: RaftLog; hardState: HardState }>();
  /** Nodes cut off from the network: what they send or are sent is lost. */
  readonly isolated = new Set<NodeId>();
  readonly #queue: Scheduled[] = [];
  readonly #random = new Map<NodeId, SeededRandom>();
  #seq = 0;

  constructor(
    readonly ids: readonly NodeId[],
    seed: number,
  ) {
    for (const id of ids) {
      this.#random.set(id, new SeededRandom(seed, `timers:${id}`));
      this.disks.set(id, { log: new ArrayRaftLog(), hardState: { currentTerm: 0, votedFor: null } });
      const electionTimeout = this.#draw(id);
      this.traces.set(id, { electionTimeout, steps: [] });
      this.history.set(id, []);
      this.#apply(id, initialStep(input(id), { electionTimeout }));
    }
  }

  state(id: NodeId): RaftState {
    const state = this.states.get(id);
    if (state === undefined) throw new Error(`no node ${id}`);
    return state;
  }

  /** Steps `id` with `event` now, as the scheduler does, recording it. */
  deliver(id: NodeId, event: StepEvent): StepResult {
    const electionTimeout = this.#draw(id);
    this.traces.get(id)!.steps.push({ event, electionTimeout });
    const result = step(this.state(id), event, { electionTimeout });
    this.#apply(id, result);
    return result;
  }

  /** Runs the queue until `done` holds; fails if that takes more than `withinMs` of virtual time. */
  runUntil(done: () => boolean, withinMs = 20_000): void {
    const end = this.now + withinMs;
    while (!done()) {
      const next = this.#queue.shift();
      if (next === undefined || next.at > end) throw new Error(`not done by t=${this.now}ms`);
      this.now = next.at;
      this.deliver(next.node, next.event);
    }
  }

  #draw(id: NodeId): number {
    const span = TIMING.electionTimeoutMaxMs - TIMING.electionTimeoutMinMs;
    return TIMING.electionTimeoutMinMs + this.#random.get(id)!.int(span);
  }

  #apply(id: NodeId, result: StepResult): void {
    this.states.set(id, result.state);
    this.history.get(id)!.push(result);
    const { log } = result.state.context;
    const disk = this.disks.get(id)!;
    // The step says when the term or vote changed: that is what goes to disk.
    if (result.hardState !== null) disk.hardState = result.hardState;
    const wrote = result.hardState !== null || result.logEdits.length > 0;
    for (const effect of result.effects) {
      switch (effect.type) {
        case 'startTimer':
          this.#cancel(id, effect.id);
          this.#schedule(this.now + effect.delayMs, id, effect.event, effect.id);
          break;
        case 'cancelTimer':
          this.#cancel(id, effect.id);
          break;
        case 'persistLog':
          disk.log = applyLogEdit(disk.log, effect.edit);
          break;
        case 'send':
          for (const message of effect.messages) {
            if (this.isolated.has(message.from) || this.isolated.has(message.to)) continue;
            this.#schedule(this.now + (wrote ? WRITE_MS : 0) + NETWORK_MS, message.to, message);
          }
          break;
      }
    }
    if (result.logEdits.length > 0) {
      const persisted = { type: 'LogPersisted', index: log.lastIndex, term: log.lastTerm } as const;
      this.#schedule(this.now + WRITE_MS, id, persisted);
    }
  }

  #schedule(at: number, node: NodeId, event: StepEvent, timerId?: string): void {
    const item: Scheduled = { at, seq: ++this.#seq, node, event, ...(timerId ? { timerId } : {}) };
    const i = this.#queue.findIndex((q) => q.at > at);
    this.#queue.splice(i < 0 ? this.#queue.length : i, 0, item);
  }

  #cancel(node: NodeId, timerId: string): void {
    const i = this.#queue.findIndex((q) => q.node === node && q.timerId === timerId);
    if (i >= 0) this.#queue.splice(i, 1);
  }
}

const IDS = ['a', 'b', 'c'] as const;

/** Elects a leader, proposes one command, and runs until all three have committed it. */
function electAndReplicate(seed: number, cluster = new TinyCluster(IDS, seed), command: unknown = 'x') {
  const leaderOf = () => IDS.find((id) => cluster.state(id).role === 'leader' && !cluster.isolated.has(id));
  cluster.runUntil(() => leaderOf() !== undefined);
  const leader = leaderOf()!;

  const proposed = cluster.deliver(leader, { type: 'Propose', commands: [command] });
  const index = proposed.state.context.log.lastIndex;
  cluster.deliver(leader, { type: 'Flush' });
  const holds = (id: NodeId) => {
    const { log, commitIndex } = cluster.state(id).context;
    return commitIndex >= index && log.slice(index, index)[0]?.command === command;
  };
  cluster.runUntil(() => IDS.every(holds));
  return { cluster, leader, index };
}

/**
 * A longer run for replay and the actor: a leader and a proposal; then the leader is cut
 * off, appends a proposal no one else gets, and the others elect another leader; it
 * rejoins, steps down and has its lost entry overwritten; a second proposal reaches all
 * three, and one follower compacts its log into a snapshot.
 */
function runWithLeaderChange(seed: number): TinyCluster {
  const { cluster, leader } = electAndReplicate(seed);
  cluster.isolated.add(leader);
  cluster.deliver(leader, { type: 'Propose', commands: ['lost'] });
  const others = IDS.filter((id) => id !== leader);
  cluster.runUntil(() => others.some((id) => cluster.state(id).role === 'leader'));
  cluster.isolated.delete(leader);
  const second = electAndReplicate(seed, cluster, 'y');
  expect(cluster.state(leader).role).toBe('follower');
  for (const id of IDS)
    expect(entries(cluster.state(id)).map((e) => e.command)).toEqual([null, 'x', null, 'y']);
  const follower = IDS.find((id) => id !== second.leader)!;
  cluster.deliver(follower, { type: 'Snapshot', index: second.index, data: 'x,y' });
  expect(cluster.state(follower).context.log.snapshotIndex).toBe(second.index);
  return cluster;
}

describe('a cluster driven only by the pure step', () => {
  it('elects a leader and replicates a proposal to all three', () => {
    const { cluster, leader, index } = electAndReplicate(1);
    const term = cluster.state(leader).context.currentTerm;
    for (const id of IDS) {
      const state = cluster.state(id);
      expect(state.role).toBe(id === leader ? 'leader' : 'follower');
      expect(state.context).toMatchObject({ currentTerm: term, leaderId: leader });
      expect(entries(state)).toEqual([
        { term, command: null },
        { term, command: 'x' },
      ]);
      // The test's storage holds exactly what the effects and the state asked it to write.
      const disk = cluster.disks.get(id)!;
      expect(disk.log.slice(1, disk.log.lastIndex)).toEqual(entries(state));
      expect(disk.hardState).toEqual({ currentTerm: term, votedFor: state.context.votedFor });
    }
    expect(index).toBe(2);
  });

  it('is deterministic: the same seed, the same run', () => {
    const first = electAndReplicate(7).cluster;
    const second = electAndReplicate(7).cluster;
    for (const id of IDS) expect(second.traces.get(id)).toEqual(first.traces.get(id));
  });
});

describe('replay', () => {
  it('the recorded events, fed to fresh initial states, give the same state at every step', () => {
    const cluster = runWithLeaderChange(3);
    for (const id of IDS) {
      // The trace is plain data: it survives JSON.
      const trace = JSON.parse(JSON.stringify(cluster.traces.get(id))) as Trace;
      const recorded = cluster.history.get(id)!;
      let result = initialStep(input(id), { electionTimeout: trace.electionTimeout });
      expect(summary(result.state)).toEqual(summary(recorded[0]!.state));
      trace.steps.forEach(({ event, electionTimeout }, i) => {
        result = step(result.state, event, { electionTimeout });
        expect(summary(result.state), `${id}, step ${i + 1}`).toEqual(summary(recorded[i + 1]!.state));
        expect(result.effects, `${id}, step ${i + 1}`).toEqual(recorded[i + 1]!.effects);
      });
      expect(result.state.context.commitIndex).toBe(4);
    }
  });
});

/**
 * An actor of the same machine, with recording effects and a clock that never fires: the
 * test delivers each timer's event itself, when the recorded run fired it.
 */
function recordingActor(id: NodeId, firstElectionTimeout: number) {
  const sent: RaftMessage[] = [];
  const edits: LogEdit[] = [];
  let electionTimeout = firstElectionTimeout;
  const machine = raftMachine.provide({
    actions: {
      send: (_, { messages }) => void sent.push(...messages),
      persistLog: (_, edit) => void edits.push(edit),
    },
    delays: { electionTimeout: () => electionTimeout },
  });
  const frozen = { setTimeout: () => 0, clearTimeout: () => {} };
  const actor = createActor(machine, { input: input(id), clock: frozen });
  actor.start();
  return {
    /** Sends one event; returns what the actor sent and asked to persist meanwhile. */
    send(event: StepEvent, drawn: number) {
      const before = { sent: sent.length, edits: edits.length };
      electionTimeout = drawn;
      // A timer's event is delivered the way XState's scheduler delivers it.
      actor.send(event as Parameters<typeof actor.send>[0]);
      return { messages: sent.slice(before.sent), logEdits: edits.slice(before.edits) };
    },
    summary() {
      const { value, context } = actor.getSnapshot();
      return summaryOf(value, context);
    },
    /** The actor's scheduled timers: id and delay. */
    timers() {
      const scheduled = Object.values(actor.system.getSnapshot()._scheduledEvents);
      return Object.fromEntries(scheduled.map((s) => [s.id, s.delay]));
    },
  };
}

function pendingTimers(state: RaftState): Record<string, number> {
  return Object.fromEntries(Object.values(state.timers).map((t) => [t.id, t.delayMs]));
}

describe('agreement with the actor', () => {
  it("a timer effect's delay and event are what the actor's own clock fires", async () => {
    const sent: RaftMessage[] = [];
    const clock = new SimClock();
    const machine = raftMachine.provide({
      actions: { send: (_, { messages }) => void sent.push(...messages), persistLog: () => {} },
      delays: { electionTimeout: () => 640 },
    });
    const actor = createActor(machine, { input: input('a'), clock });
    actor.start();
    let result = initialStep(input('a'), { electionTimeout: 640 });
    /** Fires `timer`, started at `startedAt` (now, unless a shorter timer fired since). */
    const fire = async (timer: StartTimerEffect, startedAt = clock.now()) => {
      const before = sent.length;
      const due = startedAt + timer.delayMs;
      // The clock fires its next timer: the actor's, due exactly when the effect says.
      expect(await clock.step()).toBe(true);
      expect(clock.now()).toBe(due);
      result = step(result.state, timer.event, { electionTimeout: 640 });
      expect(summary(result.state)).toEqual(
        summaryOf(actor.getSnapshot().value, actor.getSnapshot().context),
      );
      expect(sent.slice(before)).toEqual(result.messages);
    };
    // The lease (the minimum election timeout, 500 ms) fires first, inside waiting: the
    // election timer, drawn at 640 ms, runs on from the start, not restarted by it.
    const election = started(result, 'electionTimeout');
    await fire(started(result, 'leaderLease'));
    expect(result.state.snapshot.value).toEqual({ follower: { waiting: 'lapsed' } });
    expect(result.timers).toEqual([]);
    await fire(election, 0);
    expect(result.state.role).toBe('candidate');
    await fire(started(result, 'electionTimeout'));
    expect(result.state.context.currentTerm).toBe(2);
    const grant = {
      type: 'RequestVoteReply',
      from: 'b',
      to: 'a',
      term: 2,
      inReplyTo: 3,
      voteGranted: true,
    } as const;
    actor.send(grant);
    result = step(result.state, grant);
    expect(result.state.role).toBe('leader');
    const before = sent.length;
    await fire(started(result, 'heartbeatInterval'));
    expect(sent.slice(before).map((m) => m.type)).toEqual(['AppendEntries', 'AppendEntries']);
  });

  it('the same events give the same snapshot, messages, log edits and timers as an actor', () => {
    const cluster = runWithLeaderChange(5);
    let timerSteps = 0;
    for (const id of IDS) {
      const trace = cluster.traces.get(id)!;
      const actor = recordingActor(id, trace.electionTimeout);
      let result = initialStep(input(id), { electionTimeout: trace.electionTimeout });
      expect(actor.summary()).toEqual(summary(result.state));
      expect(actor.timers()).toEqual(pendingTimers(result.state));
      trace.steps.forEach(({ event, electionTimeout }, i) => {
        const where = `${id}, step ${i + 1} (${event.type})`;
        if (isTimerEvent(event)) timerSteps++;
        const fromActor = actor.send(event, electionTimeout);
        result = step(result.state, event, { electionTimeout });
        expect(actor.summary(), where).toEqual(summary(result.state));
        expect(fromActor.messages, where).toEqual(result.messages);
        expect(fromActor.logEdits, where).toEqual(result.logEdits);
        expect(actor.timers(), where).toEqual(pendingTimers(result.state));
      });
    }
    expect(timerSteps).toBeGreaterThan(IDS.length);
  });
});

/** Everything a log tells its readers. */
function view(log: RaftLog) {
  const terms = Array.from({ length: log.lastIndex + 2 }, (_, i) => log.termAt(i));
  const { lastIndex, lastTerm, snapshotIndex, snapshotTerm } = log;
  return {
    lastIndex,
    lastTerm,
    snapshotIndex,
    snapshotTerm,
    terms,
    entries: log.slice(snapshotIndex + 1, lastIndex),
  };
}

describe("the step states' persistent log", () => {
  it('reads as ArrayRaftLog after any edits, and every earlier version stays as it was', () => {
    const random = new SeededRandom(11, 'log');
    let log: RaftLog = PersistentRaftLog.from(undefined);
    let model: RaftLog = new ArrayRaftLog();
    const versions: { log: RaftLog; view: ReturnType<typeof view> }[] = [];
    for (let i = 0; i < 500; i++) {
      if (versions.length > 0 && random.chance(1, 8)) {
        // Branch: edit an earlier version again (the model is rebuilt from what it held).
        const earlier = versions[random.int(versions.length - 1)]!;
        log = earlier.log;
        const { entries: held, snapshotIndex: index, snapshotTerm: term } = earlier.view;
        model = new ArrayRaftLog(held, { index, term });
      }
      const op = random.int(9);
      const { snapshotIndex, lastIndex } = log;
      if (op < 6) {
        const batch = Array.from({ length: random.int(3) }, (_, k) => ({
          term: i + 1,
          command: `${i}.${k}`,
        }));
        [log, model] = [log.append(batch), model.append(batch)];
      } else if (op < 8 && lastIndex > snapshotIndex) {
        const index = snapshotIndex + 1 + random.int(lastIndex - snapshotIndex - 1);
        [log, model] = [log.truncateFrom(index), model.truncateFrom(index)];
      } else {
        const index = random.int(lastIndex + 1);
        const term = random.chance(3, 4) ? (log.termAt(index) ?? 0) : 1_000 + i;
        [log, model] = [log.compact(index, term), model.compact(index, term)];
      }
      expect(view(log), `edit ${i}`).toEqual(view(model));
      versions.push({ log, view: view(log) });
    }
    for (const [i, version] of versions.entries())
      expect(view(version.log), `version ${i}`).toEqual(version.view);
  });

  it('refuses what ArrayRaftLog refuses', () => {
    const log = PersistentRaftLog.from(new ArrayRaftLog([{ term: 1, command: 'a' }], { index: 4, term: 1 }));
    expect(log.lastIndex).toBe(5);
    expect(() => log.slice(3, 5)).toThrow(RangeError);
    expect(() => log.truncateFrom(4)).toThrow(RangeError);
    expect(() => log.truncateFrom(0)).toThrow(RangeError);
  });
});

describe('docs/step.md', () => {
  it('its example prints what its comments say, run against the built package', () => {
    const { code, output } = runDocExample('docs/step.md', 'javascript');
    expect(code).toContain("from 'raftchart/machines'");
    const promised = code
      .split('\n')
      .filter((line) => line.startsWith('console.log('))
      .map((line) => line.slice(line.lastIndexOf('// ') + 3));
    expect(output.trim().split('\n')).toEqual(promised);
  });
});
