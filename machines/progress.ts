/** The leader's per-peer bookkeeping rules: what a reply tells it about a follower. */
import type { PeerProgress } from './context.js';
import type { RaftLog } from './log.js';
import type {
  AppendEntriesAccepted,
  AppendEntriesRejected,
  AppendEntriesReply,
  ConflictHint,
  NodeId,
} from './messages.js';

/**
 * The leader's progress for `peer`, if `peer` is one of its followers. An own-property
 * lookup: a message from "constructor" or "__proto__" must not find Object.prototype's.
 */
export function progressOf(
  progress: Readonly<Record<NodeId, PeerProgress>>,
  peer: NodeId,
): PeerProgress | undefined {
  return Object.hasOwn(progress, peer) ? progress[peer] : undefined;
}

/** A new leader knows nothing of its followers' logs: it probes each, from its own end. */
export function initialProgress(peers: readonly NodeId[], log: RaftLog): Record<NodeId, PeerProgress> {
  const progress: Record<NodeId, PeerProgress> = {};
  for (const peer of peers) {
    progress[peer] = { nextIndex: log.lastIndex + 1, matchIndex: 0, mode: 'probe', probeRpcId: null };
  }
  return progress;
}

/**
 * What a reply of the current term changes, or null when it must be ignored: the leader's
 * rule for AppendEntries replies, `replyCounts` and then the progress it leads to.
 */
export function progressAfterReply(
  progress: PeerProgress,
  reply: AppendEntriesReply,
  log: RaftLog,
): PeerProgress | null {
  if (!replyCounts(progress, reply)) return null;
  return reply.success
    ? progressAfterMatch(progress, reply.matchIndex)
    : progressAfterConflict(progress, reply.conflict, log);
}

/**
 * Whether a reply of the current term tells the leader something. A success is a fact
 * (matchIndex only grows), whichever request it answers. A rejection counts only if it
 * says where the logs diverge and, while probing, answers the probe at this nextIndex or a
 * later retry of it (rpcIds grow within a term), not a request of an earlier nextIndex.
 */
export function replyCounts(
  progress: PeerProgress,
  reply: AppendEntriesReply,
): reply is AppendEntriesAccepted | (AppendEntriesRejected & { readonly conflict: ConflictHint }) {
  if (reply.success) return true;
  if (reply.conflict === undefined) return false;
  return (
    progress.mode !== 'probe' || (progress.probeRpcId !== null && reply.inReplyTo >= progress.probeRpcId)
  );
}

/**
 * The logs diverged: nextIndex follows the fast back-up, never below what is known to
 * match nor past the leader's end, and the leader probes again from there.
 */
export function progressAfterConflict(
  progress: PeerProgress,
  conflict: ConflictHint,
  log: RaftLog,
): PeerProgress {
  const backedUp = nextIndexAfterConflict(conflict, log);
  const nextIndex = Math.min(Math.max(progress.matchIndex + 1, backedUp), log.lastIndex + 1);
  return { matchIndex: progress.matchIndex, nextIndex, mode: 'probe', probeRpcId: null };
}

/** The follower holds everything up to `matchIndex` (a fact): stream from there. */
export function progressAfterMatch(progress: PeerProgress, matchIndex: number): PeerProgress {
  const match = Math.max(progress.matchIndex, matchIndex);
  return {
    matchIndex: match,
    nextIndex: Math.max(progress.nextIndex, match + 1),
    mode: 'replicate',
    probeRpcId: null,
  };
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
