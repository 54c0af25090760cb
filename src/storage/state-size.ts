/**
 * The byte size of a node's persisted Raft state, independent of the storage's own format.
 * Entries are counted as compact `[term, command]` records (not objects with field names),
 * close to what a binary encoding would take, so log-size bounds stay meaningful.
 */
import type { HardState, LogEntry, SnapshotRecord } from '../../machines/index.js';
import { stringifyJson } from '../../machines/index.js';
import { utf8Bytes } from '../utf8-bytes.js';

export function hardStateSize(hardState: HardState): number {
  return utf8Bytes(JSON.stringify([hardState.currentTerm, hardState.votedFor]));
}

export function entrySize(entry: LogEntry): number {
  return utf8Bytes(stringifyJson([entry.term, entry.command]));
}

/** The snapshot's index and term as kept with the Raft state (its data is counted apart). */
export function snapshotMetaSize(snapshot: SnapshotRecord | undefined): number {
  return snapshot === undefined ? 0 : utf8Bytes(JSON.stringify([snapshot.index, snapshot.term]));
}
