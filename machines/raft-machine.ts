/**
 * The Raft node statechart: follower, candidate and leader, each with its timer on a leaf
 * state, so leaving a role cancels its timers and no stale timeout can fire in another role.
 *
 * The machine is pure. Its effects are two named actions the host implements with
 * `machine.provide(...)`: `send` (messages to peers) and `persistLog` (log edits for storage).
 * Its delays are named too; the host provides `electionTimeout` from its random source.
 */
import { assertEvent, setup } from 'xstate';
import type { PeerProgress, RaftContext, RaftInput } from './context.js';
import { NOOP_COMMAND, initialContext } from './context.js';
import { isLogUpToDate, quorumSize } from './election-rules.js';
import type { NodeEvent } from './events.js';
import type { LogEdit } from './log-edit.js';
import { applyLogEdit } from './log-edit.js';
import { decideAppend } from './log-matching.js';
import type { LogEntry } from './log.js';
import type { NodeId, RaftMessage, RaftRequest, RequestVote, RequestVoteReply } from './messages.js';
import { nextCommitIndex } from './commit-rules.js';
import { initialProgress, progressAfterMatch, progressAfterReply } from './progress.js';
import { planAppend, planAppends } from './replication.js';

/** Effects and rules, named so the host and the path tests can provide their own. */
const effects = setup({
  types: {} as {
    context: RaftContext;
    events: NodeEvent;
    input: RaftInput;
  },
  actions: {
    /** Hand messages to the host's outbox; it sends them once what they depend on is durable. */
    send: (_, _params: { messages: readonly RaftMessage[] }) => {},
    /** Hand a log edit to the host, to be written with this turn's batch. */
    persistLog: (_, _params: LogEdit) => {},
  },
  guards: {
    isHigherTerm: ({ context, event }) => 'term' in event && event.term > context.currentTerm,
    isStaleTerm: ({ context, event }) => 'term' in event && event.term < context.currentTerm,
    isCurrentTerm: ({ context, event }) => 'term' in event && event.term === context.currentTerm,
    /** Figure 2: not a stale term, no other vote this term, and the candidate's log is up to date. */
    canGrantVote: ({ context, event }) => {
      if (event.type !== 'RequestVote' || event.term < context.currentTerm) return false;
      const votedInTerm = event.term === context.currentTerm ? context.votedFor : null;
      if (votedInTerm !== null && votedInTerm !== event.from) return false;
      return isLogUpToDate(event.lastLogTerm, event.lastLogIndex, context.log);
    },
    isVoteForThisElection: ({ context, event }) =>
      event.type === 'RequestVoteReply' && event.term === context.currentTerm && event.voteGranted,
    hasVoteQuorum: ({ context }) => context.votes.length >= quorumSize(context.peers.length + 1),
    /** The application's snapshot covers entries this log still holds, all committed. */
    isSnapshotUseful: ({ context, event }) =>
      event.type === 'Snapshot' &&
      event.index > context.log.snapshotIndex &&
      event.index <= context.commitIndex &&
      event.index <= context.log.lastIndex,
    /** Storage reports a write; it counts only if that entry is still the one in the log. */
    isPersistedEntryCurrent: ({ context, event }) =>
      event.type === 'LogPersisted' && context.log.termAt(event.index) === event.term,
  },
  delays: {
    // Deterministic defaults; the node host provides a randomized electionTimeout.
    electionTimeout: ({ context }) => context.timing.electionTimeoutMinMs,
    heartbeatInterval: ({ context }) => context.timing.heartbeatIntervalMs,
  },
});

/** Step down first, adopt the term and clear the vote: Figure 2's "Rules for All Servers". */
const adoptHigherTerm = effects.assign(({ context, event }) =>
  'term' in event && event.term > context.currentTerm
    ? { currentTerm: event.term, votedFor: null, leaderId: null, votes: [] }
    : {},
);

const startElection = effects.assign(({ context }) => ({
  currentTerm: context.currentTerm + 1,
  votedFor: context.id,
  leaderId: null,
  votes: [context.id],
}));

const requestVotes = effects.enqueueActions(({ context, enqueue }) => {
  const messages: RequestVote[] = context.peers.map((peer, i) => ({
    type: 'RequestVote',
    from: context.id,
    to: peer,
    term: context.currentTerm,
    rpcId: context.nextRpcId + i,
    lastLogIndex: context.log.lastIndex,
    lastLogTerm: context.log.lastTerm,
  }));
  enqueue.assign({ nextRpcId: context.nextRpcId + messages.length });
  enqueue({ type: 'send', params: { messages } });
});

const grantVote = effects.assign(({ event }) => {
  assertEvent(event, 'RequestVote');
  return { votedFor: event.from };
});

/** What every reply carries: who answers whom, in which term, and to which request. */
function replyTo(context: RaftContext, request: RaftRequest) {
  return { from: context.id, to: request.from, term: context.currentTerm, inReplyTo: request.rpcId };
}

/** The answer to a RequestVote, with currentTerm; whether it grants is the transition's guard's call. */
function voteReply(context: RaftContext, event: NodeEvent, voteGranted: boolean): RequestVoteReply {
  assertEvent(event, 'RequestVote');
  return { type: 'RequestVoteReply', ...replyTo(context, event), voteGranted };
}

const sendVoteGranted = effects.enqueueActions(({ context, event, enqueue }) => {
  enqueue({ type: 'send', params: { messages: [voteReply(context, event, true)] } });
});

const sendVoteRefused = effects.enqueueActions(({ context, event, enqueue }) => {
  enqueue({ type: 'send', params: { messages: [voteReply(context, event, false)] } });
});

const recordVote = effects.assign(({ context, event }) => {
  assertEvent(event, 'RequestVoteReply');
  return context.votes.includes(event.from) ? {} : { votes: [...context.votes, event.from] };
});

/**
 * Leader setup runs on the candidate -> leader transition, never on a heartbeat: per-peer
 * progress, and (if configured) the no-op entry of the new term.
 */
const becomeLeader = effects.enqueueActions(({ context, enqueue }) => {
  enqueue.assign({ leaderId: context.id, progress: initialProgress(context.peers, context.log) });
  if (!context.noopOnElection) return;
  const edit = {
    from: context.log.lastIndex + 1,
    entries: [{ term: context.currentTerm, command: NOOP_COMMAND }],
  };
  enqueue.assign(({ context: current }) => ({ log: applyLogEdit(current.log, edit) }));
  enqueue({ type: 'persistLog', params: edit });
});

/** One AppendEntries to every peer: a heartbeat with what fits, or an empty probe retried. */
const sendHeartbeats = effects.enqueueActions(({ context, enqueue }) => {
  const { messages, progress, nextRpcId } = planAppends(context, context.peers, 'heartbeat');
  enqueue.assign({ progress, nextRpcId });
  enqueue({ type: 'send', params: { messages } });
});

/** End of the host's turn: what was proposed goes to every streaming follower, batched. */
const replicateNewEntries = effects.enqueueActions(({ context, enqueue }) => {
  const { messages, progress, nextRpcId } = planAppends(context, context.peers, 'stream');
  if (messages.length === 0) return;
  enqueue.assign({ progress, nextRpcId });
  enqueue({ type: 'send', params: { messages } });
});

/** A leader appends a batch of commands in its term; storage gets one edit. */
const appendProposals = effects.enqueueActions(({ context, event, enqueue }) => {
  assertEvent(event, 'Propose');
  if (event.commands.length === 0) return;
  const entries: LogEntry[] = event.commands.map((command) => ({ term: context.currentTerm, command }));
  const edit = { from: context.log.lastIndex + 1, entries };
  enqueue.assign(({ context: current }) => ({ log: applyLogEdit(current.log, edit) }));
  enqueue({ type: 'persistLog', params: edit });
});

/** Refuses an AppendEntries without looking at the log: its term is not one to follow. */
const refuseAppend = effects.enqueueActions(({ context, event, enqueue }) => {
  assertEvent(event, 'AppendEntries');
  const refusal = { type: 'AppendEntriesReply', ...replyTo(context, event), success: false } as const;
  enqueue({ type: 'send', params: { messages: [refusal] } });
});

const followSender = effects.assign(({ event }) => {
  assertEvent(event, ['AppendEntries', 'InstallSnapshot']);
  return { leaderId: event.from };
});

/** Figure 2's AppendEntries receiver: consistency check, one log edit, commit, reply. */
const acceptAppendEntries = effects.enqueueActions(({ context, event, enqueue }) => {
  assertEvent(event, 'AppendEntries');
  const decision = decideAppend(context.log, event);
  const reply = { type: 'AppendEntriesReply', ...replyTo(context, event) } as const;
  if (!decision.ok) {
    const rejection = { ...reply, success: false, conflict: decision.conflict } as const;
    enqueue({ type: 'send', params: { messages: [rejection] } });
    return;
  }
  const { edit, matchIndex } = decision;
  if (edit !== null) {
    enqueue.assign(({ context: current }) => ({
      log: applyLogEdit(current.log, edit),
      persistedIndex: Math.min(current.persistedIndex, edit.from - 1),
    }));
    enqueue({ type: 'persistLog', params: edit });
  }
  // Only up to the last entry this request vouches for, never the follower's whole log.
  const commitIndex = Math.max(context.commitIndex, Math.min(event.leaderCommit, matchIndex));
  if (commitIndex !== context.commitIndex) enqueue.assign({ commitIndex });
  enqueue({ type: 'send', params: { messages: [{ ...reply, success: true, matchIndex }] } });
});

/**
 * A follower's answer: update its progress; on success commit what a quorum holds and keep
 * streaming; on a rejection that counts, probe again at once from the backed-up nextIndex.
 */
const handleAppendReply = effects.enqueueActions(({ context, event, enqueue }) => {
  assertEvent(event, 'AppendEntriesReply');
  const current = context.progress[event.from];
  if (current === undefined) return;
  const updated = progressAfterReply(current, event, context.log);
  if (updated !== null) followUp(context, event.from, updated, event.success, enqueue);
});

/** A follower installed the snapshot: it holds everything up to its last index. */
const handleSnapshotReply = effects.enqueueActions(({ context, event, enqueue }) => {
  assertEvent(event, 'InstallSnapshotReply');
  const current = context.progress[event.from];
  if (current === undefined || event.matchIndex === 0) return;
  followUp(context, event.from, progressAfterMatch(current, event.matchIndex), true, enqueue);
});

/** After a reply changed a follower's progress: commit, then stream more or probe again. */
function followUp(
  context: RaftContext,
  peer: NodeId,
  updated: PeerProgress,
  matched: boolean,
  enqueue: FollowUpEnqueue,
): void {
  const progress = { ...context.progress, [peer]: updated };
  const after = { ...context, progress };
  const commitIndex = matched ? commitFor(after) : context.commitIndex;
  const planned = planAppend(
    { ...after, commitIndex },
    peer,
    context.nextRpcId,
    matched ? 'stream' : 'probe',
  );
  enqueue.assign({
    progress: planned === null ? progress : { ...progress, [peer]: planned.progress },
    commitIndex,
    nextRpcId: planned === null ? context.nextRpcId : context.nextRpcId + 1,
  });
  if (planned !== null) enqueue({ type: 'send', params: { messages: [planned.message] } });
}

type FollowUpEnqueue = Parameters<Parameters<typeof effects.enqueueActions>[0]>[0]['enqueue'];

/** The leader's own log became durable further: it may now count itself up to there. */
const commitPersisted = effects.assign(({ context }) => ({ commitIndex: commitFor(context) }));

function commitFor(context: RaftContext): number {
  const followers = Object.values(context.progress);
  return nextCommitIndex(
    context.commitIndex,
    context.currentTerm,
    context.log,
    context.persistedIndex,
    followers,
  );
}

/** Figure 13's receiver: install a snapshot newer than what is committed here, then reply. */
const installSnapshot = effects.enqueueActions(({ context, event, enqueue }) => {
  assertEvent(event, 'InstallSnapshot');
  const { lastIncludedIndex: index, lastIncludedTerm: term, data } = event;
  // An older snapshot would move the application backwards; what it covers is committed here.
  if (index > context.commitIndex && index > context.log.snapshotIndex) {
    enqueue.assign(({ context: current }) => {
      const keepsTail = current.log.termAt(index) === term;
      return {
        log: current.log.compact(index, term),
        snapshot: { index, term, data },
        commitIndex: index,
        persistedIndex: keepsTail ? current.persistedIndex : Math.min(current.persistedIndex, index),
      };
    });
  }
  enqueue({ type: 'send', params: { messages: [snapshotReply(context, event, index)] } });
});

/** Refuses a snapshot of a term not to follow, answering with currentTerm. */
const refuseSnapshot = effects.enqueueActions(({ context, event, enqueue }) => {
  assertEvent(event, 'InstallSnapshot');
  enqueue({ type: 'send', params: { messages: [snapshotReply(context, event, 0)] } });
});

function snapshotReply(context: RaftContext, event: NodeEvent, matchIndex: number): RaftMessage {
  assertEvent(event, 'InstallSnapshot');
  return { type: 'InstallSnapshotReply', ...replyTo(context, event), matchIndex };
}

/** The application's snapshot: the log through its index is discarded, its term kept. */
const takeSnapshot = effects.assign(({ context, event }) => {
  assertEvent(event, 'Snapshot');
  const term = context.log.termAt(event.index) ?? 0;
  return {
    log: context.log.compact(event.index, term),
    snapshot: { index: event.index, term, data: event.data },
  };
});

const recordPersisted = effects.assign(({ context, event }) => {
  assertEvent(event, 'LogPersisted');
  return { persistedIndex: Math.max(context.persistedIndex, event.index) };
});

/** After stepping down, handle the same message again as a follower, in the same step. */
const reprocessAsFollower = effects.raise(({ event }) => event);

/** Every protocol step by name, so diagrams, inspection and path tests can show them. */
const raftSetup = effects.extend({
  actions: {
    adoptHigherTerm,
    startElection,
    requestVotes,
    grantVote,
    sendVoteGranted,
    sendVoteRefused,
    recordVote,
    becomeLeader,
    sendHeartbeats,
    refuseAppend,
    followSender,
    acceptAppendEntries,
    handleAppendReply,
    handleSnapshotReply,
    installSnapshot,
    refuseSnapshot,
    takeSnapshot,
    commitPersisted,
    replicateNewEntries,
    appendProposals,
    recordPersisted,
    reprocessAsFollower,
  },
});

/**
 * Figure 2, "Rules for All Servers": a candidate or leader that sees a higher term becomes a
 * follower of that term; a request is then handled again, as a follower would.
 */
const stepDownToHandle = {
  guard: 'isHigherTerm',
  target: 'follower',
  actions: ['adoptHigherTerm', 'reprocessAsFollower'],
} as const;
const stepDown = { guard: 'isHigherTerm', target: 'follower', actions: 'adoptHigherTerm' } as const;

export const raftMachine = raftSetup.createMachine({
  id: 'raft',
  context: ({ input }) => initialContext(input),
  initial: 'follower',
  on: {
    LogPersisted: { guard: 'isPersistedEntryCurrent', actions: 'recordPersisted' },
    Snapshot: { guard: 'isSnapshotUseful', actions: 'takeSnapshot' },
  },
  states: {
    follower: {
      initial: 'waiting',
      states: {
        waiting: {
          after: { electionTimeout: { target: '#raft.candidate' } },
        },
      },
      on: {
        RequestVote: [
          // Granting restarts the timer (re-entering waiting); refusing must not, even when
          // the request taught us a higher term: that transition is targetless on purpose.
          {
            guard: 'canGrantVote',
            target: '.waiting',
            actions: ['adoptHigherTerm', 'grantVote', 'sendVoteGranted'],
          },
          { actions: ['adoptHigherTerm', 'sendVoteRefused'] },
        ],
        AppendEntries: [
          { guard: 'isStaleTerm', actions: 'refuseAppend' },
          { target: '.waiting', actions: ['adoptHigherTerm', 'followSender', 'acceptAppendEntries'] },
        ],
        InstallSnapshot: [
          { guard: 'isStaleTerm', actions: 'refuseSnapshot' },
          { target: '.waiting', actions: ['adoptHigherTerm', 'followSender', 'installSnapshot'] },
        ],
        RequestVoteReply: { guard: 'isHigherTerm', actions: 'adoptHigherTerm' },
        AppendEntriesReply: { guard: 'isHigherTerm', actions: 'adoptHigherTerm' },
        InstallSnapshotReply: { guard: 'isHigherTerm', actions: 'adoptHigherTerm' },
      },
    },
    candidate: {
      initial: 'campaigning',
      states: {
        campaigning: {
          entry: ['startElection', 'requestVotes'],
          always: { guard: 'hasVoteQuorum', target: '#raft.leader', actions: 'becomeLeader' },
          after: { electionTimeout: { target: 'campaigning', reenter: true } },
        },
      },
      on: {
        RequestVote: [stepDownToHandle, { actions: 'sendVoteRefused' }],
        RequestVoteReply: [stepDown, { guard: 'isVoteForThisElection', actions: 'recordVote' }],
        AppendEntries: [
          { guard: 'isStaleTerm', actions: 'refuseAppend' },
          // Someone won this term (or a later one): follow it and let the follower answer.
          { target: 'follower', actions: ['adoptHigherTerm', 'reprocessAsFollower'] },
        ],
        AppendEntriesReply: stepDown,
        InstallSnapshot: [
          { guard: 'isStaleTerm', actions: 'refuseSnapshot' },
          { target: 'follower', actions: ['adoptHigherTerm', 'reprocessAsFollower'] },
        ],
        InstallSnapshotReply: stepDown,
      },
    },
    leader: {
      initial: 'heartbeating',
      states: {
        heartbeating: {
          entry: 'sendHeartbeats',
          after: { heartbeatInterval: { target: 'heartbeating', reenter: true } },
        },
      },
      on: {
        RequestVote: [stepDownToHandle, { actions: 'sendVoteRefused' }],
        AppendEntries: [
          stepDownToHandle,
          // Stale, or of our own term (two leaders in one term cannot be, so it is not followed):
          // refused either way, so every request gets its answer in the step that received it.
          { actions: 'refuseAppend' },
        ],
        RequestVoteReply: stepDown,
        AppendEntriesReply: [stepDown, { guard: 'isCurrentTerm', actions: 'handleAppendReply' }],
        InstallSnapshot: [stepDownToHandle, { actions: 'refuseSnapshot' }],
        InstallSnapshotReply: [stepDown, { guard: 'isCurrentTerm', actions: 'handleSnapshotReply' }],
        Propose: { actions: 'appendProposals' },
        Flush: { actions: 'replicateNewEntries' },
        LogPersisted: { guard: 'isPersistedEntryCurrent', actions: ['recordPersisted', 'commitPersisted'] },
      },
    },
  },
});

export type RaftMachine = typeof raftMachine;
