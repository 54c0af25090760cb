/** What a leader sends one follower, and what that does to its progress: pure planning. */
import type { PeerProgress, RaftContext } from './context.js';
import type { AppendEntries, NodeId } from './messages.js';

export interface PlannedAppend {
  readonly message: AppendEntries;
  readonly progress: PeerProgress;
}

/**
 * Plans one AppendEntries to `peer`, or null when there is nothing to send. A heartbeat
 * (`force`) always sends, retrying a probe in probe mode; otherwise only new entries go out,
 * and only while streaming and within the in-flight window.
 */
export function planAppend(
  context: RaftContext,
  peer: NodeId,
  rpcId: number,
  force: boolean,
): PlannedAppend | null {
  const progress = context.progress[peer];
  if (progress === undefined) return null;
  if (progress.mode === 'probe' && !force) return null;
  const { log, limits } = context;
  let last = Math.min(log.lastIndex, progress.nextIndex + limits.maxEntriesPerMessage - 1);
  if (progress.mode === 'replicate') last = Math.min(last, progress.matchIndex + limits.maxInflightEntries);
  const entries = last >= progress.nextIndex ? log.slice(progress.nextIndex, last) : [];
  if (entries.length === 0 && !force) return null;
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
  force: boolean,
): { messages: AppendEntries[]; progress: Record<NodeId, PeerProgress>; nextRpcId: number } {
  const messages: AppendEntries[] = [];
  const progress = { ...context.progress };
  let nextRpcId = context.nextRpcId;
  for (const peer of peers) {
    const planned = planAppend(context, peer, nextRpcId, force);
    if (planned === null) continue;
    messages.push(planned.message);
    progress[peer] = planned.progress;
    nextRpcId++;
  }
  return { messages, progress, nextRpcId };
}
