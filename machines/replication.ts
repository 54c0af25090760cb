/** What a leader sends one follower, and what that does to its progress: pure planning. */
import type { PeerProgress, RaftContext } from './context.js';
import type { AppendEntries, NodeId } from './messages.js';

export interface PlannedAppend {
  readonly message: AppendEntries;
  readonly progress: PeerProgress;
}

/**
 * Why the leader is writing to a follower:
 * - `heartbeat`: always sends; streaming, with whatever new entries fit the window; probing,
 *   an empty probe (a follower that does not answer costs a few bytes, not a batch);
 * - `probe`: the logs diverged; one probe carrying the entries from the backed-up nextIndex;
 * - `stream`: new entries for a follower in replicate mode, if any fit the window.
 */
export type AppendReason = 'heartbeat' | 'probe' | 'stream';

/** Plans one AppendEntries to `peer`, or null when there is nothing to send. */
export function planAppend(
  context: RaftContext,
  peer: NodeId,
  rpcId: number,
  reason: AppendReason,
): PlannedAppend | null {
  const progress = context.progress[peer];
  if (progress === undefined) return null;
  const probing = progress.mode === 'probe';
  if (probing && reason === 'stream') return null;
  const { log, limits } = context;
  let last = Math.min(log.lastIndex, progress.nextIndex + limits.maxEntriesPerMessage - 1);
  if (!probing) last = Math.min(last, progress.matchIndex + limits.maxInflightEntries);
  if (probing && reason === 'heartbeat') last = progress.nextIndex - 1;
  const entries = last >= progress.nextIndex ? log.slice(progress.nextIndex, last) : [];
  if (entries.length === 0 && reason === 'stream') return null;
  const prevLogIndex = progress.nextIndex - 1;
  const message: AppendEntries = {
    type: 'AppendEntries',
    from: context.id,
    to: peer,
    term: context.currentTerm,
    rpcId,
    prevLogIndex,
    prevLogTerm: log.termAt(prevLogIndex) ?? 0,
    entries,
    leaderCommit: context.commitIndex,
  };
  const next: PeerProgress =
    progress.mode === 'replicate'
      ? { ...progress, nextIndex: progress.nextIndex + entries.length }
      : { ...progress, probeRpcId: rpcId };
  return { message, progress: next };
}

/** Plans AppendEntries to several peers, numbering their rpcIds from context.nextRpcId. */
export function planAppends(
  context: RaftContext,
  peers: readonly NodeId[],
  reason: AppendReason,
): { messages: AppendEntries[]; progress: Record<NodeId, PeerProgress>; nextRpcId: number } {
  const messages: AppendEntries[] = [];
  const progress = { ...context.progress };
  let nextRpcId = context.nextRpcId;
  for (const peer of peers) {
    const planned = planAppend(context, peer, nextRpcId, reason);
    if (planned === null) continue;
    messages.push(planned.message);
    progress[peer] = planned.progress;
    nextRpcId++;
  }
  return { messages, progress, nextRpcId };
}
