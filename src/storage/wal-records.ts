/**
 * What the write-ahead log's records say, and their bodies: compact JSON arrays, as the
 * Raft state is counted (`state-size.ts`), never objects with field names.
 *
 * - hardState `[term, votedFor]`: replaces the hardState.
 * - snapshot `[file, index, term]`: the snapshot in `snap-<file>.snap` becomes the log's
 *   base (with the configuration that file records, if any); the log after it is empty
 *   until the batch's entries follow.
 * - truncate `from`: drops the entry at `from` and every later one.
 * - entry `[term, command]`, or `[term, command, config]` for a configuration entry:
 *   appends one entry after the last.
 */
import type { HardState, LogEntry } from '../../machines/index.js';
import { configJson, entryCommandJson, parseConfig } from '../entry-json.js';
import type { RecordToWrite } from './wal-frame.js';
import { RecordKind } from './wal-frame.js';

export type WalRecord =
  | { readonly kind: 'hardState'; readonly hardState: HardState }
  | { readonly kind: 'snapshot'; readonly file: number; readonly index: number; readonly term: number }
  | { readonly kind: 'truncate'; readonly from: number }
  | { readonly kind: 'entry'; readonly entry: LogEntry };

export function encodeRecord(record: WalRecord): RecordToWrite {
  switch (record.kind) {
    case 'hardState':
      return {
        kind: RecordKind.hardState,
        body: JSON.stringify([record.hardState.currentTerm, record.hardState.votedFor]),
      };
    case 'snapshot':
      return { kind: RecordKind.snapshot, body: JSON.stringify([record.file, record.index, record.term]) };
    case 'truncate':
      return { kind: RecordKind.truncate, body: JSON.stringify(record.from) };
    case 'entry':
      return { kind: RecordKind.entry, body: entryRecordJson(record.entry) };
  }
}

/** The record a frame holds, or undefined if its body is not what its kind requires. */
export function decodeRecord(kind: RecordKind, body: Buffer): WalRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  switch (kind) {
    case RecordKind.hardState:
      if (!isTuple(value, 2) || !isCount(value[0])) return undefined;
      if (value[1] !== null && typeof value[1] !== 'string') return undefined;
      return { kind: 'hardState', hardState: { currentTerm: value[0], votedFor: value[1] } };
    case RecordKind.snapshot:
      if (!isTuple(value, 3) || !isCount(value[0]) || !isCount(value[1]) || !isCount(value[2]))
        return undefined;
      return { kind: 'snapshot', file: value[0], index: value[1], term: value[2] };
    case RecordKind.truncate:
      return isCount(value) && value >= 1 ? { kind: 'truncate', from: value } : undefined;
    case RecordKind.entry: {
      if (!Array.isArray(value) || !isCount(value[0])) return undefined;
      if (value.length === 2) return { kind: 'entry', entry: { term: value[0], command: value[1] } };
      const config = value.length === 3 ? parseConfig(value[2]) : undefined;
      if (config === undefined) return undefined;
      return { kind: 'entry', entry: { term: value[0], command: value[1], config } };
    }
  }
}

/** An entry's record body; its byte length is the entry's `entrySize`. */
export function entryRecordJson(entry: LogEntry): string {
  const head = `[${entry.term},${entryCommandJson(entry)}`;
  return entry.config === undefined ? `${head}]` : `${head},${configJson(entry.config)}]`;
}

function isTuple(value: unknown, length: number): value is unknown[] {
  return Array.isArray(value) && value.length === length;
}

function isCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}
