/** A change to the log as storage sees it: "from index `from` on, the log is now `entries`". */
import type { LogEntry, RaftLog } from './log.js';

export interface LogEdit {
  readonly from: number;
  readonly entries: readonly LogEntry[];
}

/** Applies an edit to the log; inside the machine, call it only from an assign. */
export function applyLogEdit(log: RaftLog, edit: LogEdit): RaftLog {
  const kept = edit.from <= log.lastIndex ? log.truncateFrom(edit.from) : log;
  return kept.append(edit.entries);
}

/**
 * Two edits made one after the other as the one edit storage needs, so a turn's log
 * changes become a single write. `later` was made on the log that `earlier` produced.
 */
export function mergeLogEdits(earlier: LogEdit, later: LogEdit): LogEdit {
  if (later.from <= earlier.from) return later;
  const kept = earlier.entries.slice(0, later.from - earlier.from);
  return { from: earlier.from, entries: [...kept, ...later.entries] };
}
