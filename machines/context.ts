/** The node's Raft state as the machine holds it, and how it is built from input. */
import type { RaftLog } from './log.js';
import { ArrayRaftLog } from './log.js';
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

export interface RaftContext extends HardState {
  readonly id: NodeId;
  /** Every other voter; the cluster is peers plus id. */
  readonly peers: readonly NodeId[];
  readonly timing: RaftTiming;
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
  /** Voters who granted this candidate a vote in currentTerm, itself included. */
  readonly votes: readonly NodeId[];
  /** The rpcId for this node's next request. */
  readonly nextRpcId: number;
  /** Leader only: per-peer replication state, set up on becoming leader. */
  readonly progress: Readonly<Record<NodeId, PeerProgress>>;
  /** Reads waiting for leadership to be confirmed (leader) or for the leader's answer (follower). */
  readonly reads: ReadState;
}

export interface RaftInput {
  readonly id: NodeId;
  readonly peers: readonly NodeId[];
  readonly timing: RaftTiming;
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
  return {
    id: input.id,
    peers: [...input.peers],
    timing: input.timing,
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
    nextRpcId: 1,
    progress: {},
    reads: NO_READS,
  };
}
