/**
 * The wire: every Raft RPC and its reply, one discriminated union keyed by `type`.
 * Transports admit only these; local events (machines/events.ts) never cross the network.
 */
import type { LogEntry } from './log.js';
import type { ClusterConfig } from './membership.js';

export type NodeId = string;

interface MessageBase {
  /** Sender; transports check it against the authenticated peer. */
  readonly from: NodeId;
  readonly to: NodeId;
  /** The sender's currentTerm when it produced the message. */
  readonly term: number;
}

/** Requests carry an `rpcId` unique per sender, so a reply can name the request it answers. */
interface RequestBase extends MessageBase {
  readonly rpcId: number;
}

/** Replies are meaningful on their own: they carry their term and the id of their request. */
interface ReplyBase extends MessageBase {
  readonly inReplyTo: number;
}

export interface RequestVote extends RequestBase {
  readonly type: 'RequestVote';
  readonly lastLogIndex: number;
  readonly lastLogTerm: number;
  /**
   * The election a leader asked for with TimeoutNow (leadership transfer): voters grant it
   * even while they still hear from that leader (leader stickiness does not apply).
   */
  readonly transfer?: true;
}

/**
 * Pre-vote (thesis section 9.6): "would you vote for me in `term`?", where `term` is the
 * sender's currentTerm + 1. Neither side changes its term, vote or timers for it.
 */
export interface PreVote extends RequestBase {
  readonly type: 'PreVote';
  readonly lastLogIndex: number;
  readonly lastLogTerm: number;
}

export interface PreVoteReply extends ReplyBase {
  readonly type: 'PreVoteReply';
  readonly voteGranted: boolean;
}

/** Leadership transfer (thesis section 3.10): the leader tells an up-to-date voter to campaign now. */
export interface TimeoutNow extends RequestBase {
  readonly type: 'TimeoutNow';
}

export interface RequestVoteReply extends ReplyBase {
  readonly type: 'RequestVoteReply';
  readonly voteGranted: boolean;
}

export interface AppendEntries extends RequestBase {
  readonly type: 'AppendEntries';
  readonly prevLogIndex: number;
  readonly prevLogTerm: number;
  /** A batch: one message carries every entry the peer needs, empty for a heartbeat. */
  readonly entries: readonly LogEntry[];
  readonly leaderCommit: number;
}

/** Where the follower's log diverges, so the leader can skip a whole term per round trip. */
export interface ConflictHint {
  /** Term of the follower's entry at prevLogIndex; 0 when its log is too short. */
  readonly conflictTerm: number;
  /** First index the follower holds with conflictTerm (or logLength + 1 when too short). */
  readonly conflictIndex: number;
  readonly logLength: number;
}

export interface AppendEntriesAccepted extends ReplyBase {
  readonly type: 'AppendEntriesReply';
  readonly success: true;
  /** Index of the last entry the follower now holds from this request (prevLogIndex + entries). */
  readonly matchIndex: number;
}

export interface AppendEntriesRejected extends ReplyBase {
  readonly type: 'AppendEntriesReply';
  readonly success: false;
  /** Absent when the rejection is for a stale term rather than a log mismatch. */
  readonly conflict?: ConflictHint;
}

export type AppendEntriesReply = AppendEntriesAccepted | AppendEntriesRejected;

/**
 * A leader's snapshot, for a follower that needs entries the leader compacted away
 * (Figure 13). The machine always sends the whole snapshot (offset 0, done); a host may
 * split a large one into chunks on the wire and reassembles them before its actor sees it.
 */
export interface InstallSnapshot extends RequestBase {
  readonly type: 'InstallSnapshot';
  readonly lastIncludedIndex: number;
  readonly lastIncludedTerm: number;
  /** Where `data` starts within the whole snapshot. */
  readonly offset: number;
  readonly data: string;
  /** This is the last (or only) chunk. */
  readonly done: boolean;
  /**
   * The configuration in force at lastIncludedIndex. Absent only from a snapshot made
   * before the cluster's membership was recorded: the receiver keeps what it knows.
   */
  readonly config?: ClusterConfig;
}

export interface InstallSnapshotReply extends ReplyBase {
  readonly type: 'InstallSnapshotReply';
  /** The follower now holds everything up to here (lastIncludedIndex); 0 when refused. */
  readonly matchIndex: number;
}

/**
 * A follower asks the leader for a read index (ReadIndex, the Raft thesis section 6.4) on
 * behalf of every read it was given in one turn.
 */
export interface ReadIndex extends RequestBase {
  readonly type: 'ReadIndex';
}

export interface ReadIndexReply extends ReplyBase {
  readonly type: 'ReadIndexReply';
  /**
   * The leader's commit index once a quorum confirmed it still led after the request
   * arrived; null when it refused (it does not lead in that term, or stopped leading).
   */
  readonly readIndex: number | null;
}

export type RaftRequest = RequestVote | AppendEntries | InstallSnapshot | ReadIndex | PreVote | TimeoutNow;
export type RaftReply =
  RequestVoteReply | AppendEntriesReply | InstallSnapshotReply | ReadIndexReply | PreVoteReply;
export type RaftMessage = RaftRequest | RaftReply;
export type RaftMessageType = RaftMessage['type'];

export const RAFT_MESSAGE_TYPES: readonly RaftMessageType[] = [
  'RequestVote',
  'RequestVoteReply',
  'AppendEntries',
  'AppendEntriesReply',
  'InstallSnapshot',
  'InstallSnapshotReply',
  'ReadIndex',
  'ReadIndexReply',
  'PreVote',
  'PreVoteReply',
  'TimeoutNow',
];

const messageTypes: ReadonlySet<string> = new Set(RAFT_MESSAGE_TYPES);

export function isRaftMessageType(type: string): type is RaftMessageType {
  return messageTypes.has(type);
}

export function isRequest(message: RaftMessage): message is RaftRequest {
  return (
    message.type === 'RequestVote' ||
    message.type === 'AppendEntries' ||
    message.type === 'InstallSnapshot' ||
    message.type === 'ReadIndex' ||
    message.type === 'PreVote' ||
    message.type === 'TimeoutNow'
  );
}

/**
 * Whether a request gets a reply: every one does, but a snapshot chunk before the last and
 * TimeoutNow (its answer is the election it starts).
 */
export function expectsReply(message: RaftMessage): boolean {
  return (
    isRequest(message) &&
    message.type !== 'TimeoutNow' &&
    (message.type !== 'InstallSnapshot' || message.done)
  );
}
