/** What a leader sends one follower, and what that does to its progress: pure planning. */
import type { PeerProgress, RaftContext, SnapshotRecord } from './context.js';
import { checkJsonValue } from './json-value.js';
import { progressOf } from './progress.js';
import type { LogEntry } from './log.js';
import type { AppendEntries, InstallSnapshot, NodeId } from './messages.js';

export interface PlannedAppend {
  readonly message: AppendEntries | InstallSnapshot;
  readonly progress: PeerProgress;
}

/**
 * Why the leader is writing to a follower:
 * - `heartbeat`: always sends; streaming, with whatever new entries fit the window; probing,
 *   an empty probe (a follower that does not answer costs a few bytes, not a batch);
 * - `probe`: the logs diverged; one probe carrying the entries from the backed-up nextIndex;
 * - `stream`: new entries for a follower in replicate mode, if any fit the window.
 * A follower that needs entries the leader compacted gets the snapshot instead, as a probe;
 * heartbeats then probe it, empty, at the snapshot's boundary.
 */
export type AppendReason = 'heartbeat' | 'probe' | 'stream';

/** Plans one AppendEntries to `peer`, or null when there is nothing to send. */
export function planAppend(
  context: RaftContext,
  peer: NodeId,
  rpcId: number,
  reason: AppendReason,
): PlannedAppend | null {
  const progress = progressOf(context.progress, peer);
  if (progress === undefined) return null;
  const probing = progress.mode === 'probe';
  const { log, limits } = context;
  if (progress.nextIndex <= log.snapshotIndex && context.snapshot !== null) {
    if (reason === 'probe' || !probing) return planSnapshot(context, peer, rpcId, progress, context.snapshot);
    if (reason === 'stream') return null;
    return planEmptyProbe(context, peer, rpcId, progress, log.snapshotIndex);
  }
  if (probing && reason === 'stream') return null;
  let last = Math.min(log.lastIndex, progress.nextIndex + limits.maxEntriesPerMessage - 1);
  if (!probing) last = Math.min(last, progress.matchIndex + limits.maxInflightEntries);
  if (probing && reason === 'heartbeat') last = progress.nextIndex - 1;
  const entries =
    last >= progress.nextIndex
      ? withinBytes(log.slice(progress.nextIndex, last), limits.maxBytesPerMessage)
      : [];
  if (entries.length === 0 && reason === 'stream') return null;
  const next: PeerProgress = probing
    ? { ...progress, probeRpcId: progress.probeRpcId ?? rpcId }
    : { ...progress, nextIndex: progress.nextIndex + entries.length };
  return { message: appendEntries(context, peer, rpcId, progress.nextIndex - 1, entries), progress: next };
}

/** Sizes are measured once per entry object, the first time a leader sends it. */
const entryBytes = new WeakMap<LogEntry, number>();

/** The longest prefix of `entries` whose commands fit `maxBytes`, and at least one entry. */
function withinBytes(entries: LogEntry[], maxBytes: number): LogEntry[] {
  let total = 0;
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!;
    let bytes = entryBytes.get(entry);
    if (bytes === undefined) {
      const check = checkJsonValue(entry.command);
      // A command that is not plain JSON still goes (as its encoder writes it), counted small.
      bytes = check.ok ? check.bytes : 0;
      entryBytes.set(entry, bytes);
    }
    total += bytes;
    if (total > maxBytes && i > 0) return entries.slice(0, i);
  }
  return entries;
}

function appendEntries(
  context: RaftContext,
  peer: NodeId,
  rpcId: number,
  prevLogIndex: number,
  entries: AppendEntries['entries'],
): AppendEntries {
  return {
    type: 'AppendEntries',
    from: context.id,
    to: peer,
    term: context.currentTerm,
    rpcId,
    prevLogIndex,
    prevLogTerm: context.log.termAt(prevLogIndex) ?? 0,
    entries,
    leaderCommit: context.commitIndex,
  };
}

/** An empty probe at `prevLogIndex`: a retry of the outstanding one, or the first. */
function planEmptyProbe(
  context: RaftContext,
  peer: NodeId,
  rpcId: number,
  progress: PeerProgress,
  prevLogIndex: number,
): PlannedAppend {
  return {
    message: appendEntries(context, peer, rpcId, prevLogIndex, []),
    progress: { ...progress, mode: 'probe', probeRpcId: progress.probeRpcId ?? rpcId },
  };
}

/** The whole snapshot, as the outstanding probe. */
function planSnapshot(
  context: RaftContext,
  peer: NodeId,
  rpcId: number,
  progress: PeerProgress,
  snapshot: SnapshotRecord,
): PlannedAppend {
  return {
    message: {
      type: 'InstallSnapshot',
      from: context.id,
      to: peer,
      term: context.currentTerm,
      rpcId,
      lastIncludedIndex: snapshot.index,
      lastIncludedTerm: snapshot.term,
      offset: 0,
      data: snapshot.data,
      done: true,
      ...(snapshot.config === undefined ? {} : { config: snapshot.config }),
    },
    progress: { ...progress, mode: 'probe', probeRpcId: rpcId },
  };
}

/** Plans AppendEntries to several peers, numbering their rpcIds from context.nextRpcId. */
export function planAppends(
  context: RaftContext,
  peers: readonly NodeId[],
  reason: AppendReason,
): {
  messages: (AppendEntries | InstallSnapshot)[];
  progress: Record<NodeId, PeerProgress>;
  nextRpcId: number;
} {
  const messages: (AppendEntries | InstallSnapshot)[] = [];
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
