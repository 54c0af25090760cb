/**
 * The byte size of a node's persisted Raft state, as the course's RaftStateSize() reports
 * it. Entries are counted as compact `[term, command]` records (not objects with field
 * names), so the course's log-size bounds, calibrated for Go's gob, stay meaningful.
 */
import type { HardState, LogEntry, SnapshotRecord } from '../../machines/index.js';
import { stringifyJson } from '../../machines/index.js';

export function hardStateSize(hardState: HardState): number {
  return Buffer.byteLength(JSON.stringify([hardState.currentTerm, hardState.votedFor]));
}

export function entrySize(entry: LogEntry): number {
  return Buffer.byteLength(stringifyJson([entry.term, entry.command]));
}

/** The snapshot's index and term as kept with the Raft state (its data is counted apart). */
export function snapshotMetaSize(snapshot: SnapshotRecord | undefined): number {
  return snapshot === undefined ? 0 : Buffer.byteLength(JSON.stringify([snapshot.index, snapshot.term]));
}
