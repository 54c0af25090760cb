/**
 * Recovery: the state a data directory's log holds, rebuilt by replaying it from its last
 * checkpoint (a segment whose first batch, complete, starts with a snapshot record; else
 * the first segment, which must then be the log's first, `wal-...1`), batch by batch. Only
 * the last segment may end in a torn write, and only a write no later record follows: that
 * tail is reported, for the caller to cut once nothing is refused. Any other damage is a
 * StorageCorruptedError. Replay reads and never writes.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SnapshotRecord } from '../../machines/index.js';
import { segmentName, snapshotName } from './data-dir.js';
import { LogState } from './log-state.js';
import { decodeSnapshotFile } from './snapshot-file.js';
import { openStep, StorageCorruptedError } from './storage-errors.js';
import { hasRecordAfter, isZeroFrom, readFrame, RecordKind } from './wal-frame.js';
import type { WalRecord } from './wal-records.js';
import { decodeRecord } from './wal-records.js';

export interface ReplayResult {
  readonly state: LogState;
  /** The segments replayed, ascending: the checkpoint segment and those after it. */
  readonly segments: readonly number[];
  /** The last segment's length without its torn tail, if any. */
  readonly lastSegmentBytes: number;
  /** The file the state's snapshot was read from. */
  readonly snapshotFile: number | undefined;
  /** The last segment's torn tail: a write a crash interrupted, to cut. */
  readonly tornTail: { readonly file: string; readonly offset: number; readonly bytes: number } | undefined;
}

/** Replays `segments` (ascending sequence numbers, at least one) in `dir`. */
export async function replayLog(dir: string, segments: readonly number[]): Promise<ReplayResult> {
  let start = -1;
  for (let i = segments.length - 1; i >= 0 && start === -1; i--) {
    if (await isCheckpoint(dir, join(dir, segmentName(segments[i]!)))) start = i;
  }
  if (start === -1) {
    // The segments before a checkpoint are removed only once it is durable, so a log that
    // has none must still have its first segment.
    if (segments[0] !== 1) {
      throw new StorageCorruptedError(
        join(dir, segmentName(segments[0]!)),
        0,
        'the log starts here without a whole snapshot batch, so the segments before it are missing',
      );
    }
    start = 0;
  }
  const replayed = segments.slice(start);
  const replay = new Replay(dir);
  let lastSegmentBytes = 0;
  let tornTail: ReplayResult['tornTail'];
  for (const [i, seq] of replayed.entries()) {
    const file = join(dir, segmentName(seq));
    if (i > 0 && seq !== replayed[i - 1]! + 1) {
      throw new StorageCorruptedError(file, 0, `segment ${segmentName(seq - 1)} before it is missing`);
    }
    const data = await readSegment(dir, file);
    const isLast = i === replayed.length - 1;
    // A segment is written to before the next is started.
    if (data.length === 0 && !isLast) {
      throw new StorageCorruptedError(file, 0, 'a segment before the last is empty: its records are missing');
    }
    const end = await replay.segment(file, data, isLast);
    if (end < data.length) tornTail = { file, offset: end, bytes: data.length - end };
    lastSegmentBytes = end;
  }
  return {
    state: replay.state,
    segments: replayed,
    lastSegmentBytes,
    snapshotFile: replay.snapshotFile,
    tornTail,
  };
}

function readSegment(dir: string, file: string): Promise<Buffer> {
  return openStep(dir, 'reading', file, () => readFile(file));
}

/** Whether the segment's first batch is whole and starts with a snapshot record. */
async function isCheckpoint(dir: string, file: string): Promise<boolean> {
  const data = await readSegment(dir, file);
  if (data.length === 0) return false;
  const first = readFrame(data, 0);
  if (first.type !== 'record' || first.kind !== RecordKind.snapshot) return false;
  for (let frame = first; ;) {
    if (frame.endOfBatch) return true;
    if (frame.next >= data.length) return false;
    const next = readFrame(data, frame.next);
    if (next.type !== 'record') return false;
    frame = next;
  }
}

interface PendingRecord {
  readonly record: WalRecord;
  readonly offset: number;
}

class Replay {
  readonly state = new LogState();
  snapshotFile: number | undefined;

  constructor(readonly dir: string) {}

  /** Applies the segment's whole batches; returns where they end (its length, unless torn). */
  async segment(file: string, data: Buffer, isLast: boolean): Promise<number> {
    let offset = 0;
    let batchStart = 0;
    let pending: PendingRecord[] = [];
    while (offset < data.length) {
      const frame = readFrame(data, offset);
      if (frame.type !== 'record') {
        // A crash can only cut the last write short, and nothing is written after it.
        if (isLast && (isZeroFrom(data, offset) || !hasRecordAfter(data, offset))) return batchStart;
        const after = isLast ? ', and whole records follow it' : '';
        throw new StorageCorruptedError(file, offset, `${frame.problem}${after}`);
      }
      const record = decodeRecord(frame.kind, frame.body);
      if (record === undefined) throw new StorageCorruptedError(file, offset, 'a malformed record');
      pending.push({ record, offset });
      offset = frame.next;
      if (frame.endOfBatch) {
        for (const item of pending) await this.#apply(file, item);
        pending = [];
        batchStart = offset;
      }
    }
    if (pending.length > 0 && !isLast) {
      throw new StorageCorruptedError(
        file,
        batchStart,
        'a batch left unfinished in a segment before the last',
      );
    }
    return batchStart;
  }

  async #apply(file: string, { record, offset }: PendingRecord): Promise<void> {
    const state = this.state;
    switch (record.kind) {
      case 'hardState':
        state.hardState = record.hardState;
        return;
      case 'snapshot':
        state.replaceBase(await this.#readSnapshot(file, offset, record));
        this.snapshotFile = record.file;
        return;
      case 'truncate':
        if (record.from <= state.baseIndex || record.from > state.lastIndex) {
          throw new StorageCorruptedError(
            file,
            offset,
            `a truncation from index ${record.from}, outside the log (${state.baseIndex + 1}..${state.lastIndex})`,
          );
        }
        state.truncateFrom(record.from);
        return;
      case 'entry':
        state.append(record.entry);
        return;
    }
  }

  async #readSnapshot(
    file: string,
    offset: number,
    record: Extract<WalRecord, { kind: 'snapshot' }>,
  ): Promise<SnapshotRecord> {
    const path = join(this.dir, snapshotName(record.file));
    const data = await openStep(this.dir, 'reading', path, () =>
      readFile(path).catch((error: unknown) => {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        throw new StorageCorruptedError(file, offset, `the snapshot file it records, ${path}, is missing`);
      }),
    );
    const snapshot = decodeSnapshotFile(data);
    if ('problem' in snapshot) throw new StorageCorruptedError(path, 0, snapshot.problem);
    if (snapshot.index !== record.index || snapshot.term !== record.term) {
      throw new StorageCorruptedError(
        path,
        0,
        `it holds the snapshot at index ${snapshot.index}, term ${snapshot.term}, but the log records ` +
          `index ${record.index}, term ${record.term}`,
      );
    }
    return snapshot;
  }
}
