/** The leader's commit rule (Figure 2 and section 5.4.2), as pure functions. */
import type { PeerProgress } from './context.js';
import { quorumSize } from './election-rules.js';
import type { RaftLog } from './log.js';

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
