/**
 * The follower side of AppendEntries (Figure 2, receiver steps 2-4) as pure functions: the
 * consistency check, the conflict hint for the leader's fast back-up when it fails, and
 * the one log edit when it passes (truncate only on a real conflict, then append what is
 * new). The statechart's guard and actions call these; `decideAppend` is all three at once.
 */
import type { LogEdit } from './log-edit.js';
import type { RaftLog } from './log.js';
import type { AppendEntries, ConflictHint } from './messages.js';

export type AppendDecision =
  | { readonly ok: false; readonly conflict: ConflictHint }
  | { readonly ok: true; readonly matchIndex: number; readonly edit: LogEdit | null };

export function decideAppend(log: RaftLog, request: AppendEntries): AppendDecision {
  if (!logMatchesPrev(log, request)) return { ok: false, conflict: conflictHint(log, request) };
  return { ok: true, matchIndex: vouchedIndex(request), edit: appendEdit(log, request) };
}

/**
 * Receiver step 2, negated: the log holds an entry at prevLogIndex whose term is prevLogTerm.
 * Entries this log already compacted into its snapshot are committed, so they match: the
 * check is then made at the snapshot's boundary instead.
 */
export function logMatchesPrev(log: RaftLog, request: AppendEntries): boolean {
  const { index, term } = checkPoint(log, request);
  return log.termAt(index) === term;
}

/** The last index a request vouches for: prevLogIndex plus the entries it carries. */
export function vouchedIndex(request: AppendEntries): number {
  return request.prevLogIndex + request.entries.length;
}

/**
 * Why the check failed, for the leader's fast back-up: the log is too short (conflictTerm 0),
 * or the term it holds at the check point and the first index of that term.
 */
export function conflictHint(log: RaftLog, request: AppendEntries): ConflictHint {
  const { index } = checkPoint(log, request);
  const term = log.termAt(index);
  if (term === undefined)
    return { conflictTerm: 0, conflictIndex: log.lastIndex + 1, logLength: log.lastIndex };
  let first = index;
  while (first > 1 && log.termAt(first - 1) === term) first--;
  return { conflictTerm: term, conflictIndex: first, logLength: log.lastIndex };
}

/**
 * Receiver steps 3-4, for a request that passed the check: the one edit that truncates at
 * the first conflicting entry and appends from there, or null when every entry is already
 * there. Entries that match stay, and so does anything after them: the request may be
 * stale, and truncating would take back entries this follower already acknowledged.
 */
export function appendEdit(log: RaftLog, request: AppendEntries): LogEdit | null {
  const { prevLogIndex, entries } = request;
  const skipped = Math.max(0, Math.min(log.snapshotIndex - prevLogIndex, entries.length));
  for (let i = skipped; i < entries.length; i++) {
    const index = prevLogIndex + 1 + i;
    if (log.termAt(index) !== entries[i]!.term) return { from: index, entries: entries.slice(i) };
  }
  return null;
}

/** Where the check is made: prevLogIndex, or the snapshot's boundary when that lies inside it. */
function checkPoint(log: RaftLog, request: AppendEntries): { index: number; term: number } {
  return request.prevLogIndex < log.snapshotIndex
    ? { index: log.snapshotIndex, term: log.snapshotTerm }
    : { index: request.prevLogIndex, term: request.prevLogTerm };
}
