/**
 * Drives one Raft actor directly on a simulated clock, with recording effects, for tests
 * of the statechart's rules. Election timeouts are fixed (no randomness) so tests can
 * name the exact moment a timer must fire.
 */
import { createActor } from 'xstate';
import type {
  ConflictHint,
  HardState,
  LogEdit,
  LogEntry,
  NodeEvent,
  RaftMessage,
  RaftTiming,
  ReadAnswer,
  Role,
} from '../../machines/index.js';
import { ArrayRaftLog, raftMachine, roleOf } from '../../machines/index.js';
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
