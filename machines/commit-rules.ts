/** The commit rules (Figure 2 and section 5.4.2), leader's and follower's, as pure functions. */
import type { PeerProgress } from './context.js';
import { quorumSize } from './election-rules.js';
import type { RaftLog } from './log.js';
import { vouchedIndex } from './log-matching.js';
import type { ClusterConfig } from './membership.js';
import type { AppendEntries, NodeId } from './messages.js';
import { progressOf } from './progress.js';

/**
 * What each voter of `config` is known to hold: the leader itself only up to what its
 * storage reported durable, each follower up to its matchIndex. Learners do not count, nor
 * does a leader that is not a voter (it leads a configuration that removed it).
 */
export function voterMatchIndexes(
  config: ClusterConfig,
  self: NodeId,
  ownPersistedIndex: number,
  progress: Readonly<Record<NodeId, PeerProgress>>,
): number[] {
  return config.voters.map((voter) =>
    voter === self ? ownPersistedIndex : (progressOf(progress, voter)?.matchIndex ?? 0),
  );
}

/** The highest index a quorum of the voters holds, given what each holds. */
export function quorumMatchIndex(voterIndexes: readonly number[]): number {
  const indexes = [...voterIndexes].sort((a, b) => b - a);
  return indexes[quorumSize(indexes.length) - 1] ?? 0;
}

/**
 * The new commitIndex: a quorum's index, but only if that entry is of the leader's current
 * term (entries of earlier terms commit indirectly, never by counting: Figure 8).
 */
export function nextCommitIndex(
  commitIndex: number,
  currentTerm: number,
  log: RaftLog,
  voterIndexes: readonly number[],
): number {
  const candidate = quorumMatchIndex(voterIndexes);
  return candidate > commitIndex && log.termAt(candidate) === currentTerm ? candidate : commitIndex;
}

/**
 * A follower's commitIndex after accepting `request`: the leader's commit index, but only
 * up to the last entry this request vouches for, never the follower's whole log (entries
 * past it may be a stale leader's); and it never goes back.
 */
export function followerCommitIndex(commitIndex: number, request: AppendEntries): number {
  return Math.max(commitIndex, Math.min(request.leaderCommit, vouchedIndex(request)));
}
