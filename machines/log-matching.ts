/**
 * The follower side of AppendEntries (Figure 2, receiver steps 2-5) as a pure decision:
 * the consistency check, the conflict hint for the leader's fast back-up, and the one
 * log edit (truncate only on a real conflict, then append what is new).
 */
import type { LogEdit } from './log-edit.js';
import type { RaftLog } from './log.js';
import type { AppendEntries, ConflictHint } from './messages.js';

export type AppendDecision =
  | { readonly ok: false; readonly conflict: ConflictHint }
  | { readonly ok: true; readonly matchIndex: number; readonly edit: LogEdit | null };

export function decideAppend(log: RaftLog, request: AppendEntries): AppendDecision {
  const { prevLogIndex, entries } = request;
  const matchIndex = prevLogIndex + entries.length;
  // Entries this log already compacted into its snapshot are committed, so they match:
  // check from the snapshot's boundary instead.
  const skipped = Math.max(0, Math.min(log.snapshotIndex - prevLogIndex, entries.length));
  const checkIndex = prevLogIndex < log.snapshotIndex ? log.snapshotIndex : prevLogIndex;
  const checkTerm = prevLogIndex < log.snapshotIndex ? log.snapshotTerm : request.prevLogTerm;
  const termAtPrev = log.termAt(checkIndex);
  if (termAtPrev === undefined) {
    return {
      ok: false,
      conflict: { conflictTerm: 0, conflictIndex: log.lastIndex + 1, logLength: log.lastIndex },
    };
  }
  if (termAtPrev !== checkTerm) {
    return { ok: false, conflict: conflictHint(log, checkIndex, termAtPrev) };
  }
  // Entries that already match stay, and so does anything after them: the request may be
  // stale, and truncating would take back entries this follower already acknowledged.
  for (let i = skipped; i < entries.length; i++) {
    const index = prevLogIndex + 1 + i;
    if (log.termAt(index) !== entries[i]!.term) {
      return { ok: true, matchIndex, edit: { from: index, entries: entries.slice(i) } };
    }
  }
  return { ok: true, matchIndex, edit: null };
}

function conflictHint(log: RaftLog, index: number, term: number): ConflictHint {
  let first = index;
  while (first > 1 && log.termAt(first - 1) === term) first--;
  return { conflictTerm: term, conflictIndex: first, logLength: log.lastIndex };
}
