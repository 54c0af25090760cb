/** The leader's per-peer bookkeeping rules: what a reply tells it about a follower. */
import type { PeerProgress } from './context.js';
import type { RaftLog } from './log.js';
import type { AppendEntriesReply, ConflictHint, NodeId } from './messages.js';

export function initialProgress(peers: readonly NodeId[], log: RaftLog): Record<NodeId, PeerProgress> {
  const progress: Record<NodeId, PeerProgress> = {};
  for (const peer of peers) progress[peer] = { nextIndex: log.lastIndex + 1, matchIndex: 0 };
  return progress;
}

/**
 * matchIndex only grows (it is a fact learned from a reply); nextIndex after a rejection
 * follows the fast back-up, never below what is known to match.
 */
export function progressAfterReply(
  progress: PeerProgress,
  reply: AppendEntriesReply,
  log: RaftLog,
): PeerProgress {
  if (reply.success) {
    const matchIndex = Math.max(progress.matchIndex, reply.matchIndex);
    return { matchIndex, nextIndex: Math.max(progress.nextIndex, matchIndex + 1) };
  }
  if (reply.conflict === undefined) return progress;
  const nextIndex = Math.max(progress.matchIndex + 1, nextIndexAfterConflict(reply.conflict, log));
  return { matchIndex: progress.matchIndex, nextIndex };
}

/**
 * Fast back-up (the course's XTerm/XIndex/XLen): skip the follower's whole conflicting
 * term per round trip instead of one entry.
 */
export function nextIndexAfterConflict(hint: ConflictHint, log: RaftLog): number {
  if (hint.conflictTerm === 0) return hint.logLength + 1;
  const lastWithTerm = lastIndexOfTerm(log, hint.conflictTerm);
  return lastWithTerm === 0 ? hint.conflictIndex : lastWithTerm + 1;
}

/** The leader's last index holding `term`; 0 if it has none. Terms never decrease along a log. */
function lastIndexOfTerm(log: RaftLog, term: number): number {
  for (let index = log.lastIndex; index >= 1; index--) {
    const t = log.termAt(index);
    if (t === term) return index;
    if (t !== undefined && t < term) return 0;
  }
  return 0;
}
