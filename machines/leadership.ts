/**
 * The thesis's leadership rules as pure functions: pre-vote (section 9.6), check-quorum and
 * leader stickiness (section 6.2), and leadership transfer (section 3.10). The chart names
 * each as a guard; the host calls `transferRefusal` before it asks for a transfer.
 */
import type { RaftContext } from './context.js';
import { isLogUpToDate } from './election-rules.js';
import { hasQuorum, isVoter } from './membership.js';
import type { NodeId, PreVote } from './messages.js';
import type { RaftTiming } from './timing.js';

/**
 * A pre-vote is granted for a term later than ours to a candidate whose log is at least as
 * up to date; leader stickiness (whether we heard from a leader lately) is the chart's call.
 */
export function canGrantPreVote(context: RaftContext, request: PreVote): boolean {
  return (
    request.term > context.currentTerm &&
    isLogUpToDate(request.lastLogTerm, request.lastLogIndex, context.log)
  );
}

/**
 * The leader's window in heartbeat ticks: a minimum election timeout. A member it has not
 * heard from within it does not count towards check-quorum, and a transfer gives up after it.
 */
export function leaderWindowTicks(timing: RaftTiming): number {
  return Math.max(1, Math.ceil(timing.electionTimeoutMinMs / timing.heartbeatIntervalMs));
}

/**
 * Check-quorum: a quorum of voters, the leader included if it votes, answered within the
 * window. Judged only once the leader has led a whole window (the first replies take a tick).
 */
export function hasLostQuorum(context: RaftContext): boolean {
  const window = leaderWindowTicks(context.timing);
  if (context.leaderTicks < window) return false;
  const recent = Object.keys(context.heardAt).filter(
    (member) => context.leaderTicks - context.heardAt[member]! <= window,
  );
  return !hasQuorum(context.config, [context.id, ...recent]);
}

/** The transfer under way has had its window and the leader still leads: it gives up. */
export function isTransferOverdue(context: RaftContext): boolean {
  const { transfer } = context;
  return transfer !== null && context.leaderTicks - transfer.sinceTick >= leaderWindowTicks(context.timing);
}

/** The transfer's target holds the leader's whole log and has not been told to campaign yet. */
export function isTransfereeCaughtUp(context: RaftContext): boolean {
  const { transfer } = context;
  if (transfer === null || transfer.timeoutNowSent) return false;
  const progress = Object.hasOwn(context.progress, transfer.to) ? context.progress[transfer.to] : undefined;
  return progress !== undefined && progress.matchIndex === context.log.lastIndex;
}

/** Why a leader cannot hand its leadership to `to` now, or null when it can. */
export function transferRefusal(context: RaftContext, to: NodeId): string | null {
  if (to === context.id) return `${to} leads already`;
  if (!isVoter(context.config, to)) return `${to} is not a voter of the configuration in force`;
  if (context.transfer !== null) return `a transfer to ${context.transfer.to} is under way`;
  return null;
}

/**
 * The voter a transfer with no target goes to: the most up to date other voter (highest
 * matchIndex, then the lowest id, so the choice is deterministic); null when there is none.
 */
export function bestTransferTarget(context: RaftContext): NodeId | null {
  let best: NodeId | null = null;
  let bestMatch = -1;
  for (const voter of [...context.config.voters].sort()) {
    if (voter === context.id) continue;
    const match = Object.hasOwn(context.progress, voter) ? context.progress[voter]!.matchIndex : 0;
    if (match > bestMatch) {
      best = voter;
      bestMatch = match;
    }
  }
  return best;
}
