/** The commit rules (Figure 2 and section 5.4.2), leader's and follower's, as pure functions. */
import type { PeerProgress } from './context.js';
import { quorumSize } from './election-rules.js';
import type { RaftLog } from './log.js';
import { vouchedIndex } from './log-matching.js';
import type { AppendEntries } from './messages.js';

/**
 * The highest index a quorum holds: the leader counts itself only up to what its storage
 * reported durable, each follower up to its matchIndex.
 */
export function quorumMatchIndex(ownPersistedIndex: number, followers: readonly PeerProgress[]): number {
  const indexes = [ownPersistedIndex, ...followers.map((p) => p.matchIndex)].sort((a, b) => b - a);
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
  ownPersistedIndex: number,
  followers: readonly PeerProgress[],
): number {
  const candidate = quorumMatchIndex(ownPersistedIndex, followers);
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
