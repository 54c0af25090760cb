/**
 * The byte size of a node's persisted Raft state, independent of the storage's own format.
 * Entries are counted as compact `[term, command]` records (`[term, command, config]` for a
 * configuration entry), not objects with field names, close to what a binary encoding would
 * take, so log-size bounds stay meaningful.
 */
import type { HardState, LogEntry, SnapshotRecord } from '../../machines/index.js';
import { stringifyJson } from '../../machines/index.js';
import { configJson } from '../entry-json.js';
import { utf8Bytes } from '../utf8-bytes.js';

export function hardStateSize(hardState: HardState): number {
  return utf8Bytes(JSON.stringify([hardState.currentTerm, hardState.votedFor]));
}

export function entrySize(entry: LogEntry): number {
  const command = stringifyJson([entry.term, entry.command]);
  if (entry.config === undefined) return utf8Bytes(command);
  return utf8Bytes(command) + 1 + utf8Bytes(configJson(entry.config));
}

/**
 * The snapshot's index, term and configuration as kept with the Raft state (its data is
 * counted apart): the meta of its file (snapshot-file.ts).
 */
export function snapshotMetaSize(snapshot: SnapshotRecord | undefined): number {
  return snapshot === undefined ? 0 : utf8Bytes(snapshotMetaJson(snapshot));
}

/** `[index, term]`, or `[index, term, config]` for a snapshot that records its configuration. */
export function snapshotMetaJson(snapshot: SnapshotRecord): string {
  const head = `[${snapshot.index},${snapshot.term}`;
  return snapshot.config === undefined ? `${head}]` : `${head},${configJson(snapshot.config)}]`;
}
