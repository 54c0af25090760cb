/**
 * Drives one Raft actor directly on a simulated clock, with recording effects, for tests
 * of the statechart's rules. Election timeouts are fixed (no randomness) so tests can
 * name the exact moment a timer must fire.
 */
import { createActor } from 'xstate';
import type {
  AppendEntries,
  ClusterConfig,
  ConflictHint,
  HardState,
  LogEdit,
  LogEntry,
  NodeEvent,
  RaftFeatures,
  RaftInput,
  RaftMessage,
  RaftState,
  RaftTiming,
  ReadAnswer,
  Role,
  SnapshotRecord,
  StepEvent,
  StepResult,
  TimerName,
} from '../../machines/index.js';
import { ArrayRaftLog, initialStep, raftMachine, roleOf, step } from '../../machines/index.js';
import { SimClock } from '../../src/sim/sim-clock.js';

export const TEST_TIMING: RaftTiming = {
  heartbeatIntervalMs: 100,
  electionTimeoutMinMs: 500,
  electionTimeoutMaxMs: 500,
};

export interface HarnessOptions {
  readonly id?: string;
  readonly peers?: readonly string[];
  readonly hardState?: HardState;
  readonly entries?: readonly LogEntry[];
  /** Append a no-op on becoming leader, as real nodes do. */
  readonly noop?: boolean;
  /** Guards to use instead of the chart's, as a host may provide (to test what the actions do then). */
  readonly guards?: Parameters<typeof raftMachine.provide>[0]['guards'];
}

export function spawnNode(options: HarnessOptions = {}) {
  const clock = new SimClock();
  const sent: RaftMessage[] = [];
  const edits: LogEdit[] = [];
  const errors: unknown[] = [];
  const answers: ReadAnswer[] = [];
  const machine = raftMachine.provide({
    actions: {
      send: (_, { messages }) => void sent.push(...messages),
      persistLog: (_, edit) => void edits.push(edit),
      answerReads: (_, answer) => void answers.push(answer),
    },
    ...(options.guards === undefined ? {} : { guards: options.guards }),
  });
  const actor = createActor(machine, {
    clock,
    input: {
      id: options.id ?? 'a',
      peers: options.peers ?? ['b', 'c'],
      timing: TEST_TIMING,
      ...(options.hardState ? { hardState: options.hardState } : {}),
      log: new ArrayRaftLog(options.entries ?? []),
      noopOnElection: options.noop ?? false,
    },
  });
  actor.subscribe({ error: (error) => void errors.push(error) });
  actor.start();

  const node = {
    actor,
    clock,
    sent,
    edits,
    errors,
    answers,
    context: () => actor.getSnapshot().context,
    role: (): Role => roleOf(actor.getSnapshot().value),
    value: () => actor.getSnapshot().value,
    /** Delivers one event and returns what the actor sent while handling it. */
    deliver(event: NodeEvent): RaftMessage[] {
      const before = sent.length;
      actor.send(event);
      return sent.slice(before);
    },
    /** Lets `ms` of virtual time pass; returns what the actor sent meanwhile. */
    async advance(ms: number): Promise<RaftMessage[]> {
      const before = sent.length;
      await clock.runFor(ms);
      return sent.slice(before);
    },
    /** The rpcId of the last AppendEntries node a sent `peer` (the outstanding probe, when probing). */
    lastAppendTo(peer: string): number {
      const last = sent.findLast((m) => m.type === 'AppendEntries' && m.to === peer);
      if (last?.type !== 'AppendEntries') throw new Error(`no AppendEntries was sent to ${peer}`);
      return last.rpcId;
    },
    /** Waits out the election timeout: the node campaigns for currentTerm + 1. */
    async campaign(): Promise<RaftMessage[]> {
      return node.advance(TEST_TIMING.electionTimeoutMinMs);
    },
    /** Campaigns and collects granted votes from every peer: the node leads. */
    async lead(): Promise<void> {
      const requests = await node.campaign();
      for (const request of requests) {
        if (request.type !== 'RequestVote') continue;
        node.deliver({
          type: 'RequestVoteReply',
          from: request.to,
          to: request.from,
          term: request.term,
          inReplyTo: request.rpcId,
          voteGranted: true,
        });
      }
    },
  };
  return node;
}

export type TestNode = ReturnType<typeof spawnNode>;

let rpcIds = 1000;

export function requestVote(
  from: string,
  term: number,
  last: { index: number; term: number } = { index: 0, term: 0 },
) {
  return {
    type: 'RequestVote',
    from,
    to: 'a',
    term,
    rpcId: rpcIds++,
    lastLogIndex: last.index,
    lastLogTerm: last.term,
  } as const;
}

export function appendEntries(
  from: string,
  term: number,
  fields: { prevLogIndex?: number; prevLogTerm?: number; entries?: LogEntry[]; leaderCommit?: number } = {},
) {
  return {
    type: 'AppendEntries',
    from,
    to: 'a',
    term,
    rpcId: rpcIds++,
    prevLogIndex: fields.prevLogIndex ?? 0,
    prevLogTerm: fields.prevLogTerm ?? 0,
    entries: fields.entries ?? [],
    leaderCommit: fields.leaderCommit ?? 0,
  } as const;
}

/** Log entries with the given terms, commands named after their index. */
export function entriesWithTerms(...terms: number[]): LogEntry[] {
  return terms.map((term, i) => ({ term, command: `cmd${i + 1}` }));
}

/** The fields every reply to node a's first request shares. */
function replyFrom(from: string, term: number, inReplyTo = 1) {
  return { type: 'AppendEntriesReply', from, to: 'a', term, inReplyTo } as const;
}

/** A follower's answer to node a's AppendEntries: accepted up to matchIndex. */
export function appendAccepted(from: string, term: number, matchIndex: number) {
  return { ...replyFrom(from, term), success: true, matchIndex } as const;
}

/** A follower's refusal of node a's AppendEntries `inReplyTo`, with its conflict hint when the logs differ. */
export function appendRejected(from: string, term: number, conflict?: ConflictHint, inReplyTo = 1) {
  return {
    ...replyFrom(from, term, inReplyTo),
    success: false,
    ...(conflict === undefined ? {} : { conflict }),
  } as const;
}

/** A voter's answer to node a's RequestVote. */
export function voteReply(from: string, term: number, voteGranted: boolean) {
  return { type: 'RequestVoteReply', from, to: 'a', term, inReplyTo: 1, voteGranted } as const;
}

/** A node for the pure step: its input, with the machine's defaults where left out. */
export interface StepNodeOptions {
  readonly id?: string;
  readonly peers?: readonly string[];
  /** The bootstrap configuration instead of `id` plus `peers`. */
  readonly config?: ClusterConfig;
  readonly features?: Partial<RaftFeatures>;
  readonly entries?: readonly LogEntry[];
  readonly hardState?: HardState;
  /** A recovered snapshot; the log's entries start after it. */
  readonly snapshot?: SnapshotRecord;
  /** Append a no-op on becoming leader; on by default, as the machine has it. */
  readonly noop?: boolean;
}

/** A cluster's configuration with these voters and learners, no addresses. */
export function membersOf(voters: readonly string[], learners: readonly string[] = []): ClusterConfig {
  return { voters, learners, addresses: {} };
}

/**
 * One node driven by the pure step (machines/step.ts), keeping every result. Timers fire
 * by name: `fire('electionTimeout')` steps the node with the pending election timer's event.
 */
export class StepNode {
  state: RaftState;
  readonly results: StepResult[] = [];

  constructor(options: StepNodeOptions = {}) {
    const { snapshot } = options;
    const input: RaftInput = {
      id: options.id ?? 'a',
      peers: options.peers ?? ['b', 'c'],
      timing: TEST_TIMING,
      log: new ArrayRaftLog(options.entries ?? [], snapshot ?? { index: 0, term: 0 }),
      ...(options.config ? { config: options.config } : {}),
      ...(options.features ? { features: options.features } : {}),
      ...(options.hardState ? { hardState: options.hardState } : {}),
      ...(snapshot ? { snapshot } : {}),
      ...(options.noop === undefined ? {} : { noopOnElection: options.noop }),
    };
    const first = initialStep(input);
    this.state = first.state;
    this.results.push(first);
  }

  get context() {
    return this.state.context;
  }

  get role(): Role {
    return this.state.role;
  }

  get value(): unknown {
    return this.state.snapshot.value;
  }

  send(event: StepEvent): StepResult {
    const result = step(this.state, event);
    this.state = result.state;
    this.results.push(result);
    return result;
  }

  /** Fires the one pending timer named `timer`. */
  fire(timer: TimerName): StepResult {
    const pending = Object.values(this.state.timers).filter((t) => t.timer === timer);
    if (pending.length !== 1) throw new Error(`${pending.length} ${timer} timers pending, not one`);
    return this.send(pending[0]!.event);
  }

  /** Fires the heartbeat timer `count` times; returns the last result. */
  tick(count = 1): StepResult {
    let result = this.fire('heartbeatInterval');
    for (let i = 1; i < count; i++) result = this.fire('heartbeatInterval');
    return result;
  }

  /** The names of the pending timers, sorted. */
  pendingTimers(): TimerName[] {
    return Object.values(this.state.timers)
      .map((t) => t.timer)
      .sort();
  }

  /** Every message the node sent, in order. */
  sent(): RaftMessage[] {
    return this.results.flatMap((r) => r.messages);
  }

  /** The last AppendEntries the node sent `peer`. */
  lastAppendTo(peer: string): AppendEntries {
    const last = this.sent().findLast((m): m is AppendEntries => m.type === 'AppendEntries' && m.to === peer);
    if (last === undefined) throw new Error(`no AppendEntries was sent to ${peer}`);
    return last;
  }

  /** A follower's acceptance of this node's last AppendEntries to it, up to `matchIndex`. */
  acceptFrom(peer: string, matchIndex: number): StepResult {
    return this.send({
      type: 'AppendEntriesReply',
      from: peer,
      to: this.context.id,
      term: this.context.currentTerm,
      inReplyTo: this.lastAppendTo(peer).rpcId,
      success: true,
      matchIndex,
    });
  }

  /**
   * Lets the election timer fire and grants every request it sends (pre-votes first, when
   * the node polls): the node leads. Only voters are asked, so every grant counts.
   */
  lead(): void {
    const pending = [...this.fire('electionTimeout').messages];
    while (this.role !== 'leader') {
      const request = pending.shift();
      if (request === undefined) throw new Error(`${this.context.id} did not become leader`);
      if (request.type !== 'PreVote' && request.type !== 'RequestVote') continue;
      const result = this.send({
        type: request.type === 'PreVote' ? 'PreVoteReply' : 'RequestVoteReply',
        from: request.to,
        to: request.from,
        // A pre-vote is granted only by a voter of an earlier term.
        term: request.type === 'PreVote' ? request.term - 1 : request.term,
        inReplyTo: request.rpcId,
        voteGranted: true,
      });
      pending.push(...result.messages);
    }
  }

  /**
   * A leader's log durable here and accepted by every other voter: all of it committed, so a
   * leader with its no-op has an entry of its term committed.
   */
  commitAll(): void {
    const { log, config, id } = this.context;
    this.send({ type: 'LogPersisted', index: log.lastIndex, term: log.lastTerm });
    for (const voter of config.voters) if (voter !== id) this.acceptFrom(voter, log.lastIndex);
    if (this.context.commitIndex !== log.lastIndex) throw new Error('the log did not commit');
  }
}
