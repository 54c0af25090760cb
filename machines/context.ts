/** The node's Raft state as the machine holds it, and how it is built from input. */
import type { RaftLog } from './log.js';
import { ArrayRaftLog } from './log.js';
import type { ClusterConfig, MembershipState } from './membership.js';
import { bootstrapConfig, configAt, replicaPeers } from './membership.js';
import type { NodeId } from './messages.js';
import type { ReadState } from './read-index.js';
import { NO_READS } from './read-index.js';
import type { RaftTiming } from './timing.js';

/** The leader's view of one follower (Figure 2's nextIndex and matchIndex). */
export interface PeerProgress {
  /** Optimistic: the next entry to send. */
  readonly nextIndex: number;
  /** Conservative: the highest entry known to be replicated there. */
  readonly matchIndex: number;
  /**
   * `probe`: the logs are not known to match; one AppendEntries at a time (heartbeats retry
   * it). `replicate`: they match up to matchIndex; new entries stream as they are proposed.
   */
  readonly mode: 'probe' | 'replicate';
  /**
   * In probe mode, the first probe at this nextIndex: a rejection of it, or of any request
   * sent after it (heartbeats retry it at the same index), is acted on; an older one is
   * stale. Heartbeats keep it rather than replace it, so a reply slower than the heartbeat
   * interval still counts (replacing it, no reply would ever answer the latest probe).
   */
  readonly probeRpcId: number | null;
}

/** The command of a leader's no-op entry; applications never see it. */
export const NOOP_COMMAND = null;

/** A snapshot as the node keeps it: the state up to `index`, whose entry had `term`. */
export interface SnapshotRecord {
  readonly index: number;
  readonly term: number;
  /** Opaque to Raft: the application's serialized state. */
  readonly data: string;
  /**
   * The configuration in force at `index`; absent only from a snapshot stored before
   * membership was recorded, where the bootstrap configuration stands in.
   */
  readonly config?: ClusterConfig;
}

/**
 * The thesis's protections against disruptive servers, each switchable: the course profile
 * runs the paper's algorithm with both off; a real node has both on.
 */
export interface RaftFeatures {
  /**
   * Pre-vote (section 9.6): a node whose election timer fires asks for pre-votes without
   * raising its term, and campaigns only with a pre-vote quorum.
   */
  readonly preVote: boolean;
  /**
   * Check-quorum (section 6.2): a leader that has not heard from a quorum within the minimum
   * election timeout steps down, and a follower that heard from its leader within it
   * refuses RequestVote (leader stickiness).
   */
  readonly checkQuorum: boolean;
}

export const PAPER_FEATURES: RaftFeatures = { preVote: false, checkQuorum: false };
export const PRODUCTION_FEATURES: RaftFeatures = { preVote: true, checkQuorum: true };

/** A leader's transfer under way: to whom, since which of its heartbeat ticks, and whether TimeoutNow went. */
export interface LeadershipTransferState {
  readonly to: NodeId;
  readonly sinceTick: number;
  readonly timeoutNowSent: boolean;
}

/** Bounds on what a leader sends one follower. */
export interface ReplicationLimits {
  /** Entries in one AppendEntries. */
  readonly maxEntriesPerMessage: number;
  /** Entries sent but not yet acknowledged, per follower in replicate mode. */
  readonly maxInflightEntries: number;
  /**
   * Bytes of commands (as JSON) in one AppendEntries; a single entry larger than this still
   * goes alone. Keeps a batch of large commands under the transport's frame limit.
   */
  readonly maxBytesPerMessage: number;
}

export const DEFAULT_LIMITS: ReplicationLimits = {
  maxEntriesPerMessage: 512,
  maxInflightEntries: 4096,
  maxBytesPerMessage: 1 << 20,
};

/** The state that must be durable before anything that depends on it is sent. */
export interface HardState {
  readonly currentTerm: number;
  readonly votedFor: NodeId | null;
}

export interface RaftContext extends HardState, MembershipState {
  readonly id: NodeId;
  /** Every other member of `config`, voter or learner: whom a leader replicates to. */
  readonly peers: readonly NodeId[];
  readonly timing: RaftTiming;
  readonly features: RaftFeatures;
  readonly limits: ReplicationLimits;
  /**
   * Append a no-op entry on becoming leader (the Raft paper, section 8), so entries of
   * earlier terms commit without waiting for a new proposal. On by default; a test suite
   * that asserts exact log indexes may turn it off.
   */
  readonly noopOnElection: boolean;
  /** Who this node believes leads currentTerm, if anyone. */
  readonly leaderId: NodeId | null;
  readonly log: RaftLog;
  /** The latest snapshot (taken here or installed from a leader); its meta matches log.snapshotIndex/Term. */
  readonly snapshot: SnapshotRecord | null;
  readonly commitIndex: number;
  /** The highest index of this node's own log that storage reported durable (LogPersisted). */
  readonly persistedIndex: number;
  /** Voters who granted this candidate a vote in currentTerm (or this pre-candidate a pre-vote), itself included. */
  readonly votes: readonly NodeId[];
  /** Pre-candidate: the rpcId of this round's first PreVote; older rounds' replies do not count. */
  readonly preVoteRound: number;
  /** Candidate: this election was asked for by the leader's TimeoutNow (leadership transfer). */
  readonly campaignTransfer: boolean;
  /** Leader: heartbeat ticks since it took office; check-quorum and transfers count in them. */
  readonly leaderTicks: number;
  /** Leader: the tick at which each member last answered a request of this term. */
  readonly heardAt: Readonly<Record<NodeId, number>>;
  /** Leader: the leadership transfer under way, if any. */
  readonly transfer: LeadershipTransferState | null;
  /** The rpcId for this node's next request. */
  readonly nextRpcId: number;
  /** Leader only: per-peer replication state, set up on becoming leader. */
  readonly progress: Readonly<Record<NodeId, PeerProgress>>;
  /** Reads waiting for leadership to be confirmed (leader) or for the leader's answer (follower). */
  readonly reads: ReadState;
}

export interface RaftInput {
  readonly id: NodeId;
  /** A new cluster's other voters: its bootstrap configuration is `id` plus `peers`, all voting. */
  readonly peers: readonly NodeId[];
  /**
   * The bootstrap configuration instead of `id` plus `peers`: a node joining a running
   * cluster starts with no members (it learns them from the leader's log or snapshot).
   * A snapshot's or the log's configuration, when there is one, takes precedence.
   */
  readonly config?: ClusterConfig;
  readonly timing: RaftTiming;
  /** Defaults to the paper's algorithm (`PAPER_FEATURES`); the node host defaults to `PRODUCTION_FEATURES`. */
  readonly features?: Partial<RaftFeatures>;
  readonly limits?: ReplicationLimits;
  readonly noopOnElection?: boolean;
  /** Recovered from storage on restart; a fresh node starts at term 0 with no vote. */
  readonly hardState?: HardState;
  /** Recovered from storage on restart; everything in it is durable. */
  readonly log?: RaftLog;
  /** Recovered from storage on restart; the log starts after it. */
  readonly snapshot?: SnapshotRecord;
}

export function initialContext(input: RaftInput): RaftContext {
  const log = input.log ?? new ArrayRaftLog();
  const baseConfig = input.snapshot?.config ?? input.config ?? bootstrapConfig(input.id, input.peers);
  // The latest configuration entry of the recovered log is in force, committed or not.
  const latest = configAt(
    log,
    { config: baseConfig, configIndex: Number.POSITIVE_INFINITY, baseConfig },
    log.lastIndex,
  );
  return {
    id: input.id,
    config: latest.config,
    configIndex: latest.index,
    baseConfig,
    peers: replicaPeers(latest.config, input.id),
    timing: input.timing,
    features: { ...PAPER_FEATURES, ...input.features },
    limits: input.limits ?? DEFAULT_LIMITS,
    noopOnElection: input.noopOnElection ?? true,
    currentTerm: input.hardState?.currentTerm ?? 0,
    votedFor: input.hardState?.votedFor ?? null,
    leaderId: null,
    log,
    snapshot: input.snapshot ?? null,
    // A snapshot holds only committed entries.
    commitIndex: input.snapshot?.index ?? 0,
    persistedIndex: log.lastIndex,
    votes: [],
    preVoteRound: 0,
    campaignTransfer: false,
    leaderTicks: 0,
    heardAt: {},
    transfer: null,
    nextRpcId: 1,
    progress: {},
    reads: NO_READS,
  };
}
