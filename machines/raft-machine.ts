/**
 * The Raft node statechart: follower, candidate and leader, each with its timer on a leaf
 * state, so leaving a role cancels its timers and no stale timeout can fire in another role.
 *
 * The machine is pure. Its effects are three named actions the host implements with
 * `machine.provide(...)`: `send` (messages to peers), `persistLog` (log edits for storage)
 * and `answerReads` (reads confirmed or refused, machines/read-index.ts).
 * Its delays are named too; the host provides `electionTimeout` from its random source.
 */
import { assertEvent, setup } from 'xstate';
import type { PeerProgress, RaftContext, RaftInput } from './context.js';
import { NOOP_COMMAND, initialContext } from './context.js';
import { isLogUpToDate } from './election-rules.js';
import type { NodeEvent } from './events.js';
import type { LogEdit } from './log-edit.js';
import { applyLogEdit } from './log-edit.js';
import { appendEdit, conflictHint, logMatchesPrev, vouchedIndex } from './log-matching.js';
import type { LogEntry } from './log.js';
import type {
  AppendEntries,
  AppendEntriesReply,
  ConflictHint,
  InstallSnapshot,
  NodeId,
  PreVote,
  RaftMessage,
  RaftRequest,
  ReadIndex,
  ReadIndexReply,
  RequestVote,
} from './messages.js';
import type { ReadAnswer } from './read-index.js';
import { NO_READS, confirmedReadCount, isReadRoundDue, withAck, withLocalReads } from './read-index.js';
import { followerCommitIndex, nextCommitIndex, voterMatchIndexes } from './commit-rules.js';
import {
  canGrantPreVote,
  hasLostQuorum,
  isTransfereeCaughtUp,
  isTransferOverdue,
  transferRefusal,
} from './leadership.js';
import type { ClusterConfig } from './membership.js';
import {
  applyConfigChange,
  configAt,
  configChangeRefusal,
  hasQuorum,
  isVoter,
  membershipAfterEdit,
  replicaPeers,
  votingPeers,
} from './membership.js';
import {
  initialProgress,
  progressAfterConflict,
  progressAfterMatch,
  progressOf,
  replyCounts,
} from './progress.js';
import type { AppendReason } from './replication.js';
import { planAppends } from './replication.js';

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
    /** Tell the host where reads ended: their read index, or null for refused. */
    answerReads: (_, _params: ReadAnswer) => {},
  },
  guards: {
    isHigherTerm: ({ context, event }) => 'term' in event && event.term > context.currentTerm,
    isStaleTerm: ({ context, event }) => 'term' in event && event.term < context.currentTerm,
    /** Figure 2: not a stale term, no other vote this term, and the candidate's log is up to date. */
    canGrantVote: ({ context, event }) => {
      if (event.type !== 'RequestVote' || event.term < context.currentTerm) return false;
      const votedInTerm = event.term === context.currentTerm ? context.votedFor : null;
      if (votedInTerm !== null && votedInTerm !== event.from) return false;
      return isLogUpToDate(event.lastLogTerm, event.lastLogIndex, context.log);
    },
    isVoteForThisElection: ({ context, event }) =>
      event.type === 'RequestVoteReply' &&
      event.term === context.currentTerm &&
      event.voteGranted &&
      isVoter(context.config, event.from),
    hasVoteQuorum: ({ context }) => hasQuorum(context.config, context.votes),
    /** Pre-vote is on: a node whose election timer fires polls before it raises its term. */
    usesPreVote: ({ context }) => context.features.preVote,
    /** A learner, or a node outside the configuration (joining, or removed): it never campaigns. */
    isNotVoter: ({ context }) => !isVoter(context.config, context.id),
    /** Thesis 9.6: a later term, and a log at least as up to date as ours. */
    canGrantPreVote: ({ context, event }) => event.type === 'PreVote' && canGrantPreVote(context, event),
    /** A granted pre-vote of this round, from a voter. */
    isPreVoteForThisRound: ({ context, event }) =>
      event.type === 'PreVoteReply' &&
      event.voteGranted &&
      event.inReplyTo >= context.preVoteRound &&
      isVoter(context.config, event.from),
    hasPreVoteQuorum: ({ context }) => hasQuorum(context.config, context.votes),
    /**
     * Leader stickiness (thesis 6.2): with check-quorum on, a node that heard from the leader
     * of its term within the minimum election timeout refuses a vote, unless the leader
     * itself asked for the election (a transfer).
     */
    isLeaderSticky: ({ context, event }) =>
      event.type === 'RequestVote' &&
      context.features.checkQuorum &&
      context.leaderId !== null &&
      event.transfer !== true,
    /** TimeoutNow of this term or a later one, to a voter: the leader hands over, campaign now. */
    isTimeoutNowToVoter: ({ context, event }) =>
      event.type === 'TimeoutNow' && event.term >= context.currentTerm && isVoter(context.config, context.id),
    /** Check-quorum (leadership.ts): no quorum of voters answered within the last window. */
    hasLostQuorum: ({ context }) => context.features.checkQuorum && hasLostQuorum(context),
    isTransferOverdue: ({ context }) => isTransferOverdue(context),
    isTransfereeCaughtUp: ({ context }) => isTransfereeCaughtUp(context),
    canTransferLeadership: ({ context, event }) =>
      event.type === 'TransferLeadership' && transferRefusal(context, event.to) === null,
    /** A transfer is under way: the leader takes no proposal. */
    isTransferring: ({ context }) => context.transfer !== null,
    /** Single-server change rules (membership.ts): one at a time, after an entry of this term commits. */
    canChangeConfig: ({ context, event }) =>
      event.type === 'ChangeConfig' && configChangeRefusal(context, event.change) === null,
    /** The leader is no voter of a committed configuration: it led the change that removed it. */
    isRemovedAndCommitted: ({ context }) =>
      !isVoter(context.config, context.id) && context.commitIndex >= context.configIndex,
    /** Figure 2, receiver step 2: the log holds prevLogIndex with prevLogTerm (log-matching.ts). */
    logMatchesPrev: ({ context, event }) =>
      event.type === 'AppendEntries' && logMatchesPrev(context.log, event),
    /**
     * A reply that tells the leader nothing: of an older term, from no follower of ours, a
     * refused snapshot (matchIndex 0), or a rejection that does not count (progress.ts:
     * no conflict hint, or not the outstanding probe).
     */
    isUncountedReply: ({ context, event }) => {
      if (event.type !== 'AppendEntriesReply' && event.type !== 'InstallSnapshotReply') return false;
      const progress = progressOf(context.progress, event.from);
      if (event.term !== context.currentTerm || progress === undefined) return true;
      return event.type === 'AppendEntriesReply' ? !replyCounts(progress, event) : event.matchIndex === 0;
    },
    isAppendAccepted: ({ event }) => event.type === 'AppendEntriesReply' && event.success,
    /** The application's snapshot covers entries this log still holds, all committed. */
    isSnapshotUseful: ({ context, event }) =>
      event.type === 'Snapshot' &&
      event.index > context.log.snapshotIndex &&
      event.index <= context.commitIndex &&
      event.index <= context.log.lastIndex,
    /** Storage reports a write; it counts only if that entry is still the one in the log. */
    isPersistedEntryCurrent: ({ context, event }) =>
      event.type === 'LogPersisted' && context.log.termAt(event.index) === event.term,
    knowsLeader: ({ context }) => context.leaderId !== null,
    /** Leader: reads a quorum has confirmed since they arrived, with an entry of this term committed. */
    hasConfirmedReads: ({ context }) => confirmedReadCount(context) > 0,
    /** Reads wait for a round, and the round before has come back from a quorum. */
    isReadRoundDue: ({ context }) => isReadRoundDue(context),
    /** Follower: the leader answers reads this node asked of it. */
    answersAskedRead: ({ context, event }) =>
      event.type === 'ReadIndexReply' &&
      context.reads.asked.some((asked) => asked.rpcId === event.inReplyTo && asked.leader === event.from),
    /** Follower: reads asked of a leader this node no longer follows; that one may never answer. */
    hasReadsOfAnotherLeader: ({ context }) =>
      context.reads.asked.some((asked) => asked.leader !== context.leaderId),
  },
  delays: {
    // Deterministic defaults; the node host provides a randomized electionTimeout.
    electionTimeout: ({ context }) => context.timing.electionTimeoutMinMs,
    heartbeatInterval: ({ context }) => context.timing.heartbeatIntervalMs,
    /** How long a follower holds to the leader it heard from: the minimum election timeout. */
    leaderLease: ({ context }) => context.timing.electionTimeoutMinMs,
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

/** One vote request per other voter, numbered from nextRpcId, asking about `term` with this log. */
function voteRequests<T extends 'RequestVote' | 'PreVote'>(context: RaftContext, type: T, term: number) {
  return votingPeers(context.config, context.id).map((peer, i) => ({
    type,
    from: context.id,
    to: peer,
    term,
    rpcId: context.nextRpcId + i,
    lastLogIndex: context.log.lastIndex,
    lastLogTerm: context.log.lastTerm,
  }));
}

const requestVotes = effects.enqueueActions(({ context, enqueue }) => {
  const transfer = context.campaignTransfer ? { transfer: true as const } : {};
  const messages: RequestVote[] = voteRequests(context, 'RequestVote', context.currentTerm).map(
    (request) => ({ ...request, ...transfer }),
  );
  enqueue.assign({ nextRpcId: context.nextRpcId + messages.length, campaignTransfer: false });
  enqueue({ type: 'send', params: { messages } });
});

/** Thesis 9.6: ask every voter whether it would vote in the next term, without moving to it. */
const requestPreVotes = effects.enqueueActions(({ context, enqueue }) => {
  const messages: PreVote[] = voteRequests(context, 'PreVote', context.currentTerm + 1);
  enqueue.assign({
    leaderId: null,
    votes: [context.id],
    preVoteRound: context.nextRpcId,
    nextRpcId: context.nextRpcId + messages.length,
  });
  enqueue({ type: 'send', params: { messages } });
});

/** The answer to a PreVote, with currentTerm (never changed by it); granting is the guard's call. */
const preVoteReply = (voteGranted: boolean) =>
  answer('PreVote', (context, request: PreVote) => ({
    type: 'PreVoteReply',
    ...replyTo(context, request),
    voteGranted,
  }));

/** The leader asked for this election (TimeoutNow): its RequestVotes say so, past leader stickiness. */
const markTransferCampaign = effects.assign({ campaignTransfer: true });

const grantVote = effects.assign(({ event }) => {
  assertEvent(event, 'RequestVote');
  return { votedFor: event.from };
});

/** What every reply carries: who answers whom, in which term, and to which request. */
function replyTo(context: RaftContext, request: RaftRequest) {
  return { from: context.id, to: request.from, term: context.currentTerm, inReplyTo: request.rpcId };
}

/** An action answering a request of `type` with the one message `build` makes. */
function answer<T extends RaftRequest>(
  type: T['type'],
  build: (context: RaftContext, request: T) => RaftMessage,
) {
  return effects.enqueueActions(({ context, event, enqueue }) => {
    assertEvent(event, type as RaftRequest['type']);
    enqueue({ type: 'send', params: { messages: [build(context, event as T)] } });
  });
}

/** The answer to a RequestVote, with currentTerm; whether it grants is the transition's guard's call. */
const voteReply = (voteGranted: boolean) =>
  answer('RequestVote', (context, request: RequestVote) => ({
    type: 'RequestVoteReply',
    ...replyTo(context, request),
    voteGranted,
  }));

const sendVoteGranted = voteReply(true);
const sendVoteRefused = voteReply(false);

const recordVote = effects.assign(({ context, event }) => {
  assertEvent(event, ['RequestVoteReply', 'PreVoteReply']);
  return context.votes.includes(event.from) ? {} : { votes: [...context.votes, event.from] };
});

/**
 * Leader setup runs on the candidate -> leader transition, never on a heartbeat: per-peer
 * progress, and (if configured) the no-op entry of the new term.
 */
const becomeLeader = effects.enqueueActions(({ context, enqueue }) => {
  enqueue.assign({
    leaderId: context.id,
    progress: initialProgress(context.peers, context.log),
    reads: NO_READS,
    leaderTicks: 0,
    heardAt: {},
    transfer: null,
  });
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
  // Every follower gets a request numbered after every read waiting: the round they need.
  const reads = { ...context.reads, roundDue: false, round: context.nextRpcId };
  enqueue.assign({ progress, nextRpcId, reads });
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

/** The answer to an AppendEntries, with currentTerm; what it says is the transition's call. */
function appendReply(
  context: RaftContext,
  request: AppendEntries,
  outcome: { success: true; matchIndex: number } | { success: false; conflict?: ConflictHint },
): AppendEntriesReply {
  return { type: 'AppendEntriesReply', ...replyTo(context, request), ...outcome };
}

/** Refuses an AppendEntries without looking at the log: its term is not one to follow. */
const refuseAppend = answer('AppendEntries', (context, request: AppendEntries) =>
  appendReply(context, request, { success: false }),
);

const followSender = effects.assign(({ event }) => {
  assertEvent(event, ['AppendEntries', 'InstallSnapshot']);
  return { leaderId: event.from };
});

/** Receiver steps 3-4: truncate at the first conflicting entry and append what is new, as one edit. */
const appendNewEntries = effects.enqueueActions(({ context, event, enqueue }) => {
  assertEvent(event, 'AppendEntries');
  const edit = appendEdit(context.log, event);
  if (edit === null) return;
  enqueue.assign(({ context: current }) => {
    const log = applyLogEdit(current.log, edit);
    return {
      log,
      persistedIndex: Math.min(current.persistedIndex, edit.from - 1),
      ...withMembership(current.id, membershipAfterEdit(log, current, edit)),
    };
  });
  enqueue({ type: 'persistLog', params: edit });
});

/** A membership update with the peers list it implies. */
function withMembership(self: NodeId, update: { config?: ClusterConfig; configIndex?: number }) {
  return update.config === undefined ? update : { ...update, peers: replicaPeers(update.config, self) };
}

/** Receiver step 5: commit up to leaderCommit, within what this request vouches for. */
const followLeaderCommit = effects.assign(({ context, event }) => {
  assertEvent(event, 'AppendEntries');
  return { commitIndex: followerCommitIndex(context.commitIndex, event) };
});

/** Success, with the last index this request vouches for (never the follower's whole log). */
const sendAppendAccepted = answer('AppendEntries', (context, request: AppendEntries) =>
  appendReply(context, request, { success: true, matchIndex: vouchedIndex(request) }),
);

/** The consistency check failed: a rejection with the hint for the leader's fast back-up. */
const sendAppendConflict = answer('AppendEntries', (context, request: AppendEntries) =>
  appendReply(context, request, { success: false, conflict: conflictHint(context.log, request) }),
);

/** The answering follower's progress, changed by `update`; the guards made sure it has one. */
function updateProgress(
  context: RaftContext,
  peer: NodeId,
  update: (progress: PeerProgress) => PeerProgress,
) {
  const progress = progressOf(context.progress, peer);
  if (progress === undefined) throw new Error(`no progress for ${peer}: the reply should not have counted`);
  return { progress: { ...context.progress, [peer]: update(progress) } };
}

/** Figure 2, "if successful": the follower holds what it says; matchIndex and nextIndex follow. */
const advanceMatch = effects.assign(({ context, event }) => {
  assertEvent(event, ['AppendEntriesReply', 'InstallSnapshotReply']);
  if (!('matchIndex' in event)) throw new Error('advanceMatch: a rejection matches nothing');
  return updateProgress(context, event.from, (progress) => progressAfterMatch(progress, event.matchIndex));
});

/** Figure 2, "if AppendEntries fails because of log inconsistency": nextIndex backs up (fast back-up). */
const backUpNextIndex = effects.assign(({ context, event }) => {
  assertEvent(event, 'AppendEntriesReply');
  if (event.success || event.conflict === undefined)
    throw new Error('backUpNextIndex: no conflict to back up by');
  const { conflict } = event;
  return updateProgress(context, event.from, (progress) =>
    progressAfterConflict(progress, conflict, context.log),
  );
});

/** Figure 2's commit rule (commit-rules.ts): the highest index a quorum holds, if of the current term. */
const advanceCommitIndex = effects.assign(({ context }) => ({
  commitIndex: nextCommitIndex(
    context.commitIndex,
    context.currentTerm,
    context.log,
    voterMatchIndexes(context.config, context.id, context.persistedIndex, context.progress),
  ),
}));

/** AppendEntries (or the snapshot) to `peers` for `reason`, numbered from nextRpcId; nothing when none is due. */
function appendTo(
  peers: (context: RaftContext, event: NodeEvent) => readonly NodeId[],
  reason: AppendReason,
) {
  return effects.enqueueActions(({ context, event, enqueue }) => {
    const { messages, progress, nextRpcId } = planAppends(context, peers(context, event), reason);
    if (messages.length === 0) return;
    enqueue.assign({ progress, nextRpcId });
    enqueue({ type: 'send', params: { messages } });
  });
}

/** The follower whose reply is being handled. */
function answering(_: RaftContext, event: NodeEvent): NodeId[] {
  assertEvent(event, ['AppendEntriesReply', 'InstallSnapshotReply']);
  return [event.from];
}

/** End of the host's turn: what was proposed goes to every streaming follower, batched. */
const replicateNewEntries = appendTo((context) => context.peers, 'stream');
/** The answering follower streams: whatever new entries the window allows. */
const streamEntries = appendTo(answering, 'stream');
/** The answering follower's logs diverged: one probe from the backed-up nextIndex. */
const probeFollower = appendTo(answering, 'probe');

/** Figure 13's receiver: install a snapshot newer than what is committed here, then reply. */
const installSnapshot = effects.enqueueActions(({ context, event, enqueue }) => {
  assertEvent(event, 'InstallSnapshot');
  const { lastIncludedIndex: index, lastIncludedTerm: term, data } = event;
  // An older snapshot would move the application backwards; what it covers is committed here.
  if (index > context.commitIndex && index > context.log.snapshotIndex) {
    enqueue.assign(({ context: current }) => {
      const keepsTail = current.log.termAt(index) === term;
      const config = event.config ?? configAt(current.log, current, index).config;
      // A configuration entry in the tail kept stays in force; otherwise the snapshot's is.
      const keepsConfig = keepsTail && current.configIndex > index;
      return {
        log: current.log.compact(index, term),
        snapshot: { index, term, data, config },
        commitIndex: index,
        persistedIndex: keepsTail ? current.persistedIndex : Math.min(current.persistedIndex, index),
        baseConfig: config,
        ...(keepsConfig ? {} : withMembership(current.id, { config, configIndex: index })),
      };
    });
  }
  enqueue({ type: 'send', params: { messages: [snapshotReply(context, event, index)] } });
});

/** Refuses a snapshot of a term not to follow, answering with currentTerm. */
const refuseSnapshot = answer('InstallSnapshot', (context, request: InstallSnapshot) =>
  snapshotReply(context, request, 0),
);

function snapshotReply(context: RaftContext, request: InstallSnapshot, matchIndex: number): RaftMessage {
  return { type: 'InstallSnapshotReply', ...replyTo(context, request), matchIndex };
}

/** The application's snapshot: the log through its index is discarded, its term kept. */
const takeSnapshot = effects.assign(({ context, event }) => {
  assertEvent(event, 'Snapshot');
  const term = context.log.termAt(event.index) ?? 0;
  const { config } = configAt(context.log, context, event.index);
  return {
    log: context.log.compact(event.index, term),
    snapshot: { index: event.index, term, data: event.data, config },
    baseConfig: config,
  };
});

// --- Check-quorum and leadership transfer (machines/leadership.ts) ---

/** Leader: one more heartbeat tick; check-quorum and transfers count time in them. */
const tickLeader = effects.assign(({ context }) => ({ leaderTicks: context.leaderTicks + 1 }));

/** Leader: this member answered a request of this term, in this tick. */
const recordHeard = effects.assign(({ context, event }) => {
  assertEvent(event, ['AppendEntriesReply', 'InstallSnapshotReply']);
  return { heardAt: { ...context.heardAt, [event.from]: context.leaderTicks } };
});

/** Stepping down without a higher term (lost quorum, or removed): no leader is known now. */
const forgetLeader = effects.assign({ leaderId: null });

const startTransfer = effects.assign(({ context, event }) => {
  assertEvent(event, 'TransferLeadership');
  return { transfer: { to: event.to, sinceTick: context.leaderTicks, timeoutNowSent: false } };
});

/** The target holds the whole log: it may campaign now, and will win unless a quorum moved on. */
const sendTimeoutNow = effects.enqueueActions(({ context, enqueue }) => {
  const { transfer } = context;
  if (transfer === null) throw new Error('sendTimeoutNow: no transfer under way');
  enqueue.assign({ transfer: { ...transfer, timeoutNowSent: true }, nextRpcId: context.nextRpcId + 1 });
  const message = {
    type: 'TimeoutNow' as const,
    from: context.id,
    to: transfer.to,
    term: context.currentTerm,
    rpcId: context.nextRpcId,
  };
  enqueue({ type: 'send', params: { messages: [message] } });
});

const abandonTransfer = effects.assign({ transfer: null });

// --- Membership (machines/membership.ts) ---

/**
 * Leader: the change as a configuration entry of its term, in force at once (a server uses
 * the latest configuration in its log); new members are probed, removed ones dropped.
 */
const appendConfigChange = effects.enqueueActions(({ context, event, enqueue }) => {
  assertEvent(event, 'ChangeConfig');
  const config = applyConfigChange(context.config, event.change);
  const index = context.log.lastIndex + 1;
  const edit = { from: index, entries: [{ term: context.currentTerm, command: NOOP_COMMAND, config }] };
  const peers = replicaPeers(config, context.id);
  const progress: Record<NodeId, PeerProgress> = {};
  for (const peer of peers) {
    progress[peer] = progressOf(context.progress, peer) ?? {
      nextIndex: index,
      matchIndex: 0,
      mode: 'probe',
      probeRpcId: null,
    };
  }
  enqueue.assign(({ context: current }) => ({
    log: applyLogEdit(current.log, edit),
    config,
    configIndex: index,
    peers,
    progress,
  }));
  enqueue({ type: 'persistLog', params: edit });
});

const recordPersisted = effects.assign(({ context, event }) => {
  assertEvent(event, 'LogPersisted');
  return { persistedIndex: Math.max(context.persistedIndex, event.index) };
});

// --- ReadIndex (machines/read-index.ts) ---

/** Leader: the turn's reads wait for a quorum to answer a request sent from now on. */
const queueReads = effects.assign(({ context, event }) => {
  assertEvent(event, 'Read');
  return { reads: withLocalReads(context.reads, event.ids, context.nextRpcId) };
});

/** Leader: a follower's ReadIndex waits like a local read, and is answered with a message. */
const queueRemoteRead = effects.assign(({ context, event }) => {
  assertEvent(event, 'ReadIndex');
  const waiter = { kind: 'remote' as const, from: event.from, rpcId: event.rpcId, after: context.nextRpcId };
  return { reads: { ...context.reads, waiting: [...context.reads.waiting, waiter], roundDue: true } };
});

/** Leader: a follower answered a request of this term: it followed this leader when it did. */
const recordReadAck = effects.assign(({ context, event }) => {
  assertEvent(event, ['AppendEntriesReply', 'InstallSnapshotReply']);
  return { reads: withAck(context.reads, event.from, event.inReplyTo) };
});

/** Leader: the confirmed reads get the commit index as their read index. */
const releaseConfirmedReads = effects.enqueueActions(({ context, enqueue }) => {
  const count = confirmedReadCount(context);
  const confirmed = context.reads.waiting.slice(0, count);
  enqueue.assign({ reads: { ...context.reads, waiting: context.reads.waiting.slice(count) } });
  const index = context.commitIndex;
  const ids = confirmed.flatMap((waiter) => (waiter.kind === 'local' ? waiter.ids : []));
  if (ids.length > 0) enqueue({ type: 'answerReads', params: { ids, index } });
  const messages = confirmed.flatMap((waiter) =>
    waiter.kind === 'remote' ? [readIndexReply(context, waiter.from, waiter.rpcId, index)] : [],
  );
  if (messages.length > 0) enqueue({ type: 'send', params: { messages } });
});

/** Leaving leadership: every read waiting is refused, so its caller retries elsewhere. */
const abandonReads = effects.enqueueActions(({ context, enqueue }) => {
  const { waiting } = context.reads;
  const ids = waiting.flatMap((waiter) => (waiter.kind === 'local' ? waiter.ids : []));
  if (ids.length > 0) enqueue({ type: 'answerReads', params: { ids, index: null } });
  const messages = waiting.flatMap((waiter) =>
    waiter.kind === 'remote' ? [readIndexReply(context, waiter.from, waiter.rpcId, null)] : [],
  );
  if (messages.length > 0) enqueue({ type: 'send', params: { messages } });
  enqueue.assign({ reads: NO_READS });
});

/** No leader to confirm them (a candidate, or a follower that knows of none): refused at once. */
const refuseReads = effects.enqueueActions(({ event, enqueue }) => {
  assertEvent(event, 'Read');
  enqueue({ type: 'answerReads', params: { ids: event.ids, index: null } });
});

/** This node does not lead that term: it cannot vouch for a read index. */
const refuseReadIndex = answer('ReadIndex', (context, request: ReadIndex) =>
  readIndexReply(context, request.from, request.rpcId, null),
);

function readIndexReply(
  context: RaftContext,
  to: NodeId,
  inReplyTo: number,
  readIndex: number | null,
): ReadIndexReply {
  return { type: 'ReadIndexReply', from: context.id, to, term: context.currentTerm, inReplyTo, readIndex };
}

/** Follower: one ReadIndex request to the leader for the turn's reads. */
const askLeaderForReadIndex = effects.enqueueActions(({ context, event, enqueue }) => {
  assertEvent(event, 'Read');
  const leader = context.leaderId;
  if (leader === null) throw new Error('askLeaderForReadIndex: no leader to ask');
  const rpcId = context.nextRpcId;
  const request: ReadIndex = {
    type: 'ReadIndex',
    from: context.id,
    to: leader,
    term: context.currentTerm,
    rpcId,
  };
  const asked = [...context.reads.asked, { rpcId, leader, ids: event.ids }];
  enqueue.assign({ nextRpcId: rpcId + 1, reads: { ...context.reads, asked } });
  enqueue({ type: 'send', params: { messages: [request] } });
});

/**
 * Follower: the leader's answer. A read index is good whatever the terms are now: the
 * leader had a quorum's confirmation after the request arrived.
 */
const settleAskedReads = effects.enqueueActions(({ context, event, enqueue }) => {
  assertEvent(event, 'ReadIndexReply');
  const settled = context.reads.asked.filter((asked) => asked.rpcId === event.inReplyTo);
  const asked = context.reads.asked.filter((a) => a.rpcId !== event.inReplyTo);
  enqueue.assign({ reads: { ...context.reads, asked } });
  const ids = settled.flatMap((a) => a.ids);
  enqueue({ type: 'answerReads', params: { ids, index: event.readIndex } });
});

/** Follower: reads asked of a leader it no longer follows (or of any, on leaving) are refused. */
const abandonAskedReads = (all: boolean) =>
  effects.enqueueActions(({ context, enqueue }) => {
    const gone = context.reads.asked.filter((asked) => all || asked.leader !== context.leaderId);
    if (gone.length === 0) return;
    const asked = all ? [] : context.reads.asked.filter((a) => a.leader === context.leaderId);
    enqueue.assign({ reads: { ...context.reads, asked } });
    enqueue({ type: 'answerReads', params: { ids: gone.flatMap((a) => a.ids), index: null } });
  });

const abandonReadsOfOldLeader = abandonAskedReads(false);
const abandonAllAskedReads = abandonAskedReads(true);

/** Leader: the round of AppendEntries the waiting reads need, once per turn. */
const sendReadRound = sendHeartbeats;

/** After stepping down, handle the same message again as a follower, in the same step. */
const reprocessAsFollower = effects.raise(({ event }) => event);

const sendPreVoteGranted = preVoteReply(true);
const sendPreVoteRefused = preVoteReply(false);

/** Every protocol step by name, so diagrams, inspection and path tests can show them. */
const raftSetup = effects.extend({
  actions: {
    adoptHigherTerm,
    startElection,
    requestVotes,
    requestPreVotes,
    sendPreVoteGranted,
    sendPreVoteRefused,
    markTransferCampaign,
    tickLeader,
    recordHeard,
    forgetLeader,
    startTransfer,
    sendTimeoutNow,
    abandonTransfer,
    appendConfigChange,
    grantVote,
    sendVoteGranted,
    sendVoteRefused,
    recordVote,
    becomeLeader,
    sendHeartbeats,
    refuseAppend,
    followSender,
    appendNewEntries,
    followLeaderCommit,
    sendAppendAccepted,
    sendAppendConflict,
    advanceMatch,
    backUpNextIndex,
    advanceCommitIndex,
    streamEntries,
    probeFollower,
    installSnapshot,
    refuseSnapshot,
    takeSnapshot,
    replicateNewEntries,
    appendProposals,
    recordPersisted,
    reprocessAsFollower,
    queueReads,
    queueRemoteRead,
    recordReadAck,
    releaseConfirmedReads,
    abandonReads,
    refuseReads,
    refuseReadIndex,
    askLeaderForReadIndex,
    settleAskedReads,
    abandonReadsOfOldLeader,
    abandonAllAskedReads,
    sendReadRound,
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

/** Thesis 9.6: any role but a leader grants a pre-vote the rule allows, changing nothing. */
const answerPreVote = [
  { guard: 'canGrantPreVote', actions: 'sendPreVoteGranted' },
  { actions: 'sendPreVoteRefused' },
] as const;

/**
 * A pre-candidate's and a candidate's answers alike: someone won this term (or a later one),
 * so follow it and let the follower answer; no reads without a leader.
 */
const campaignerHandlers = {
  AppendEntries: [
    { guard: 'isStaleTerm', actions: 'refuseAppend' },
    { target: 'follower', actions: ['adoptHigherTerm', 'reprocessAsFollower'] },
  ],
  AppendEntriesReply: stepDown,
  InstallSnapshot: [
    { guard: 'isStaleTerm', actions: 'refuseSnapshot' },
    { target: 'follower', actions: ['adoptHigherTerm', 'reprocessAsFollower'] },
  ],
  InstallSnapshotReply: stepDown,
  Read: { actions: 'refuseReads' },
  ReadIndex: [stepDownToHandle, { actions: 'refuseReadIndex' }],
  ReadIndexReply: stepDown,
} as const;

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
        // Entered on start, on a vote granted and on every request of the leader's term.
        waiting: {
          initial: 'leased',
          states: {
            // Within the minimum election timeout: the leader heard from (if any) still holds.
            leased: {
              after: { leaderLease: { target: 'lapsed' } },
              on: {
                RequestVote: { guard: 'isLeaderSticky', actions: 'sendVoteRefused' },
                // Thesis 9.6: a pre-vote is refused while a leader is heard from.
                PreVote: { guard: 'knowsLeader', actions: 'sendPreVoteRefused' },
              },
            },
            lapsed: {},
          },
          after: {
            electionTimeout: [
              // Learners, and nodes outside the configuration, wait for the leader instead.
              { guard: 'isNotVoter', target: 'waiting', reenter: true },
              { guard: 'usesPreVote', target: '#raft.preCandidate' },
              { target: '#raft.candidate' },
            ],
          },
        },
      },
      exit: 'abandonAllAskedReads',
      always: { guard: 'hasReadsOfAnotherLeader', actions: 'abandonReadsOfOldLeader' },
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
        // A pre-vote changes nothing here: no term, no vote, no timer.
        PreVote: answerPreVote,
        // Figure 2's AppendEntries receiver. Any request of the current term is the leader's,
        // so the timer restarts whether or not the logs match.
        AppendEntries: [
          { guard: 'isStaleTerm', actions: 'refuseAppend' },
          {
            guard: 'logMatchesPrev',
            target: '.waiting',
            actions: [
              'adoptHigherTerm',
              'followSender',
              'appendNewEntries',
              'followLeaderCommit',
              'sendAppendAccepted',
            ],
          },
          { target: '.waiting', actions: ['adoptHigherTerm', 'followSender', 'sendAppendConflict'] },
        ],
        InstallSnapshot: [
          { guard: 'isStaleTerm', actions: 'refuseSnapshot' },
          { target: '.waiting', actions: ['adoptHigherTerm', 'followSender', 'installSnapshot'] },
        ],
        // The leader hands over (thesis 3.10): campaign at once, past pre-vote and stickiness.
        TimeoutNow: {
          guard: 'isTimeoutNowToVoter',
          target: '#raft.candidate',
          actions: ['adoptHigherTerm', 'markTransferCampaign'],
        },
        RequestVoteReply: { guard: 'isHigherTerm', actions: 'adoptHigherTerm' },
        PreVoteReply: { guard: 'isHigherTerm', actions: 'adoptHigherTerm' },
        AppendEntriesReply: { guard: 'isHigherTerm', actions: 'adoptHigherTerm' },
        InstallSnapshotReply: { guard: 'isHigherTerm', actions: 'adoptHigherTerm' },
        Read: [{ guard: 'knowsLeader', actions: 'askLeaderForReadIndex' }, { actions: 'refuseReads' }],
        ReadIndex: { actions: ['adoptHigherTerm', 'refuseReadIndex'] },
        ReadIndexReply: [
          { guard: 'answersAskedRead', actions: ['adoptHigherTerm', 'settleAskedReads'] },
          { guard: 'isHigherTerm', actions: 'adoptHigherTerm' },
        ],
      },
    },
    // Thesis 9.6: polling for pre-votes at the same term; only a quorum of them starts an election.
    preCandidate: {
      initial: 'polling',
      states: {
        polling: {
          entry: 'requestPreVotes',
          always: { guard: 'hasPreVoteQuorum', target: '#raft.candidate' },
          after: { electionTimeout: { target: 'polling', reenter: true } },
        },
      },
      on: {
        RequestVote: [stepDownToHandle, { actions: 'sendVoteRefused' }],
        PreVote: answerPreVote,
        PreVoteReply: [stepDown, { guard: 'isPreVoteForThisRound', actions: 'recordVote' }],
        RequestVoteReply: stepDown,
        ...campaignerHandlers,
        TimeoutNow: {
          guard: 'isTimeoutNowToVoter',
          target: 'candidate',
          actions: ['adoptHigherTerm', 'markTransferCampaign'],
        },
      },
    },
    candidate: {
      initial: 'campaigning',
      states: {
        campaigning: {
          entry: ['startElection', 'requestVotes'],
          always: { guard: 'hasVoteQuorum', target: '#raft.leader', actions: 'becomeLeader' },
          after: {
            electionTimeout: [
              { guard: 'usesPreVote', target: '#raft.preCandidate' },
              { target: 'campaigning', reenter: true },
            ],
          },
        },
      },
      on: {
        RequestVote: [stepDownToHandle, { actions: 'sendVoteRefused' }],
        PreVote: answerPreVote,
        RequestVoteReply: [stepDown, { guard: 'isVoteForThisElection', actions: 'recordVote' }],
        PreVoteReply: stepDown,
        ...campaignerHandlers,
        TimeoutNow: stepDownToHandle,
      },
    },
    leader: {
      initial: 'heartbeating',
      states: {
        heartbeating: {
          entry: 'sendHeartbeats',
          after: {
            heartbeatInterval: [
              // Check-quorum (thesis 6.2): no quorum answered within the window, so step down.
              { guard: 'hasLostQuorum', target: '#raft.follower', actions: 'forgetLeader' },
              // A transfer that got no new leader within an election timeout gives up.
              {
                guard: 'isTransferOverdue',
                target: 'heartbeating',
                reenter: true,
                actions: ['tickLeader', 'abandonTransfer'],
              },
              { target: 'heartbeating', reenter: true, actions: 'tickLeader' },
            ],
          },
        },
      },
      exit: 'abandonReads',
      // Checked after every event: acks, commits and new reads can each confirm reads; a
      // reply can bring the transfer's target up to date; a commit can end a removed leader's term.
      always: [
        { guard: 'hasConfirmedReads', actions: 'releaseConfirmedReads' },
        { guard: 'isTransfereeCaughtUp', actions: 'sendTimeoutNow' },
        { guard: 'isRemovedAndCommitted', target: 'follower', actions: 'forgetLeader' },
      ],
      on: {
        // Leader stickiness holds for the leader too: it hears from itself.
        RequestVote: [
          { guard: 'isLeaderSticky', actions: 'sendVoteRefused' },
          stepDownToHandle,
          { actions: 'sendVoteRefused' },
        ],
        // A leader is alive: never a pre-vote, and a pre-vote's term is not adopted.
        PreVote: { actions: 'sendPreVoteRefused' },
        PreVoteReply: stepDown,
        AppendEntries: [
          stepDownToHandle,
          // Stale, or of our own term (two leaders in one term cannot be, so it is not followed):
          // refused either way, so every request gets its answer in the step that received it.
          { actions: 'refuseAppend' },
        ],
        RequestVoteReply: stepDown,
        // Figure 2's rules for leaders: on a success, matchIndex, commit, and stream on; on a
        // rejection that counts (the only kind left), back nextIndex up and probe again.
        AppendEntriesReply: [
          stepDown,
          { guard: 'isUncountedReply' }, // dropped
          {
            guard: 'isAppendAccepted',
            actions: ['recordReadAck', 'recordHeard', 'advanceMatch', 'advanceCommitIndex', 'streamEntries'],
          },
          { actions: ['recordReadAck', 'recordHeard', 'backUpNextIndex', 'probeFollower'] },
        ],
        InstallSnapshot: [stepDownToHandle, { actions: 'refuseSnapshot' }],
        // The follower installed the snapshot: it holds everything up to its last index.
        InstallSnapshotReply: [
          stepDown,
          { guard: 'isUncountedReply' }, // dropped
          {
            actions: ['recordReadAck', 'recordHeard', 'advanceMatch', 'advanceCommitIndex', 'streamEntries'],
          },
        ],
        TimeoutNow: stepDownToHandle,
        // During a transfer proposals are not taken (the host refuses them before they get here).
        Propose: [{ guard: 'isTransferring' }, { actions: 'appendProposals' }],
        TransferLeadership: { guard: 'canTransferLeadership', actions: 'startTransfer' },
        ChangeConfig: { guard: 'canChangeConfig', actions: 'appendConfigChange' },
        Read: { actions: 'queueReads' },
        ReadIndex: [
          stepDownToHandle,
          { guard: 'isStaleTerm', actions: 'refuseReadIndex' },
          { actions: 'queueRemoteRead' },
        ],
        ReadIndexReply: stepDown,
        // The round the turn's reads need (it carries new entries too), else just the new entries.
        Flush: [{ guard: 'isReadRoundDue', actions: 'sendReadRound' }, { actions: 'replicateNewEntries' }],
        // The leader's own log became durable further: it may now count itself up to there.
        LogPersisted: {
          guard: 'isPersistedEntryCurrent',
          actions: ['recordPersisted', 'advanceCommitIndex'],
        },
      },
    },
  },
});

export type RaftMachine = typeof raftMachine;
