/**
 * Durable storage for real nodes: a segmented, append-only write-ahead log in one
 * directory, whose records are hardState, snapshot references, truncations and entries
 * alike, so a batch is one write and one fsync; snapshots in their own files, written to a
 * temporary name, synced and renamed into place before the log records them. The state
 * is kept in memory too (the node holds its log in memory anyway), so `load` reads nothing.
 * Layout, record format and recovery rules: docs/storage.md.
 */
import type { FileHandle } from 'node:fs/promises';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { SnapshotRecord } from '../../machines/index.js';
import type { PersistedState, Storage, StorageBatch } from '../node/providers.js';
import { listDataDir, segmentName, snapshotName, temporaryName } from './data-dir.js';
import { syncDirectory, writeAll, writeFileSynced } from './durable-fs.js';
import { LogState } from './log-state.js';
import { encodeSnapshotFile } from './snapshot-file.js';
import { StorageUnavailableError } from './storage-errors.js';
import { encodeBatch } from './wal-frame.js';
import type { WalRecord } from './wal-records.js';
import { encodeRecord } from './wal-records.js';
import type { Warn } from './wal-replay.js';
import { replayLog } from './wal-replay.js';

export interface FileStorageOptions {
  /** A segment is closed and the next one started once a batch would take it past this. */
  readonly segmentBytes?: number;
  /** Where recovery reports what it discarded (a torn last write, an unrecorded snapshot). */
  readonly warn?: Warn;
  /**
   * false skips every fsync: a killed process still loses nothing (the OS has the data),
   * but a power failure may. For tests and benchmarks only.
   */
  readonly fsync?: boolean;
}

export const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;

interface Segment {
  readonly seq: number;
  readonly handle: FileHandle;
  bytes: number;
}

export class FileStorage implements Storage {
  readonly #dir: string;
  readonly #segmentBytes: number;
  readonly #fsync: boolean;
  readonly #warn: Warn;
  readonly #state: LogState;
  #segment: Segment;
  /** Segments that hold the state, ascending; the last is #segment. */
  #segments: number[];
  #snapshotFile: number | undefined;
  /** Every write joins the chain, so writes complete in the order they were issued. */
  #chain: Promise<void> = Promise.resolve();
  #failure: unknown;
  #closing: Promise<void> | undefined;

  private constructor(
    dir: string,
    options: Required<FileStorageOptions>,
    recovered: { state: LogState; segment: Segment; segments: number[]; snapshotFile: number | undefined },
  ) {
    this.#dir = dir;
    this.#segmentBytes = options.segmentBytes;
    this.#fsync = options.fsync;
    this.#warn = options.warn;
    this.#state = recovered.state;
    this.#segment = recovered.segment;
    this.#segments = recovered.segments;
    this.#snapshotFile = recovered.snapshotFile;
  }

  /**
   * Opens the data directory (creating it if needed) and recovers its state: a torn last
   * write is cut off with a warning, and damage anywhere else refuses to open with a
   * StorageCorruptedError.
   */
  static async open(dir: string, options: FileStorageOptions = {}): Promise<FileStorage> {
    const segmentBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    if (!Number.isSafeInteger(segmentBytes) || segmentBytes < 1) {
      throw new RangeError(`segmentBytes must be a positive integer, got ${segmentBytes}`);
    }
    const settings: Required<FileStorageOptions> = {
      segmentBytes,
      fsync: options.fsync ?? true,
      warn:
        options.warn ?? ((message, details) => process.emitWarning(`${message} ${JSON.stringify(details)}`)),
    };
    const created = await mkdir(dir, { recursive: true });
    if (created !== undefined && settings.fsync) await syncDirectory(dirname(created));
    const listing = await listDataDir(dir);
    let state = new LogState();
    let segments = [1];
    let bytes = 0;
    let snapshotFile: number | undefined;
    if (listing.segments.length > 0) {
      const replayed = await replayLog(dir, listing.segments, settings);
      ({ state, snapshotFile } = replayed);
      segments = [...replayed.segments];
      bytes = replayed.lastSegmentBytes;
    }
    // What replay did not use: segments before the checkpoint, snapshots superseded or
    // never recorded (a crash between writing one and its record), temporary files.
    const unused = listing.segments.filter((seq) => seq < segments[0]!).map(segmentName);
    for (const seq of listing.snapshots) {
      if (seq === snapshotFile) continue;
      if (seq > (snapshotFile ?? 0)) {
        settings.warn(
          'storage: discarded a snapshot file the log never recorded (a crash while writing it)',
          {
            file: join(dir, snapshotName(seq)),
          },
        );
      }
      unused.push(snapshotName(seq));
    }
    for (const name of [...unused, ...listing.temporaries]) await rm(join(dir, name), { force: true });

    const seq = segments.at(-1)!;
    const handle = await open(join(dir, segmentName(seq)), 'a');
    if (listing.segments.length === 0 && settings.fsync) await syncDirectory(dir);
    return new FileStorage(dir, settings, { state, segment: { seq, handle, bytes }, segments, snapshotFile });
  }

  /** The state as of every write issued so far (it waits for them). */
  load(): Promise<PersistedState> {
    return this.#chain.then(() => this.#state.toPersisted());
  }

  /** Resolves once the batch is durable, after every write issued before it. */
  write(batch: StorageBatch): Promise<void> {
    if (this.#closing !== undefined) {
      return Promise.reject(new StorageUnavailableError(`storage in ${this.#dir} is closed: open it again`));
    }
    const done = this.#chain.then(() => this.#write(batch));
    this.#chain = done.catch(() => {});
    return done;
  }

  /** Waits for the writes issued, then releases the files; later writes are refused. */
  close(): Promise<void> {
    this.#closing ??= this.#chain.then(() => this.#segment.handle.close());
    return this.#closing;
  }

  /** Bytes of the Raft state as MemoryStorage counts them (the course's RaftStateSize). */
  get raftStateSize(): number {
    return this.#state.raftStateSize;
  }

  /** Bytes of the snapshot's data (the course's SnapshotSize). */
  get snapshotSize(): number {
    return this.#state.snapshotSize;
  }

  async #write(batch: StorageBatch): Promise<void> {
    if (this.#failure !== undefined) {
      throw new StorageUnavailableError(
        `an earlier write to ${this.#dir} failed, so no later write may land: restart the node, ` +
          'which recovers every write that completed',
        { cause: this.#failure },
      );
    }
    // A snapshot starts a segment of its own (this one, if still empty), so every older
    // segment can go once it is durable.
    const snapshotSeq = this.#segment.bytes === 0 ? this.#segment.seq : this.#segment.seq + 1;
    const records = this.#records(batch, snapshotSeq);
    if (records.length === 0) return;
    const buffer = encodeBatch(records.map(encodeRecord));
    try {
      if (batch.snapshot !== undefined) {
        await this.#writeSnapshotFile(batch.snapshot, snapshotSeq);
        await this.#startSegment(snapshotSeq);
      } else if (this.#segment.bytes > 0 && this.#segment.bytes + buffer.length > this.#segmentBytes) {
        await this.#startSegment(this.#segment.seq + 1);
      }
      await writeAll(this.#segment.handle, buffer);
      this.#segment.bytes += buffer.length;
      if (this.#fsync) await this.#segment.handle.datasync();
    } catch (error) {
      this.#failure = error;
      throw error;
    }
    this.#apply(batch);
    if (batch.snapshot !== undefined) await this.#removeBefore(snapshotSeq);
  }

  /** The batch's records, checked against the state every earlier write left. */
  #records(batch: StorageBatch, snapshotSeq: number): WalRecord[] {
    const records: WalRecord[] = [];
    let base = this.#state.baseIndex;
    let last = this.#state.lastIndex;
    const { snapshot, hardState, log } = batch;
    if (snapshot !== undefined) {
      checkCount('snapshot.index', snapshot.index);
      checkCount('snapshot.term', snapshot.term);
      records.push({ kind: 'snapshot', file: snapshotSeq, index: snapshot.index, term: snapshot.term });
      // The segment this record starts must not depend on older ones: the hardState goes too.
      records.push({ kind: 'hardState', hardState: hardState ?? this.#state.hardState });
      base = last = snapshot.index;
    } else if (hardState !== undefined) {
      records.push({ kind: 'hardState', hardState });
    }
    if (hardState !== undefined) checkCount('hardState.currentTerm', hardState.currentTerm);
    if (log !== undefined) {
      if (!Number.isSafeInteger(log.from) || log.from <= base || log.from > last + 1) {
        throw new RangeError(
          `a log edit from index ${log.from} does not fit the log (from ${base + 1} to ${last + 1})`,
        );
      }
      if (log.from <= last) records.push({ kind: 'truncate', from: log.from });
      for (const entry of log.entries) {
        checkCount('entry.term', entry.term);
        records.push({ kind: 'entry', entry });
      }
    }
    return records;
  }

  #apply({ snapshot, hardState, log }: StorageBatch): void {
    if (snapshot !== undefined) this.#state.replaceBase(snapshot);
    if (hardState !== undefined) this.#state.hardState = hardState;
    if (log !== undefined) {
      if (log.from <= this.#state.lastIndex) this.#state.truncateFrom(log.from);
      for (const entry of log.entries) this.#state.append(entry);
    }
  }

  /** Written whole under a temporary name, synced, then renamed into place. */
  async #writeSnapshotFile(snapshot: SnapshotRecord, seq: number): Promise<void> {
    const path = join(this.#dir, snapshotName(seq));
    await writeFileSynced(temporaryName(path), encodeSnapshotFile(snapshot), this.#fsync);
    await rename(temporaryName(path), path);
  }

  /**
   * Appends from now on to segment `seq` (created unless it is the current, empty one),
   * once the directory holds it durably, with whatever was renamed into it before.
   */
  async #startSegment(seq: number): Promise<void> {
    const previous = this.#segment;
    if (seq !== previous.seq) {
      const handle = await open(join(this.#dir, segmentName(seq)), 'ax');
      this.#segment = { seq, handle, bytes: 0 };
      this.#segments.push(seq);
    }
    if (this.#fsync) await syncDirectory(this.#dir);
    if (seq !== previous.seq) await previous.handle.close();
  }

  /** Once a snapshot is durable in segment `seq`: the segments and snapshot before it. */
  async #removeBefore(seq: number): Promise<void> {
    const old = this.#segments.filter((s) => s < seq).map(segmentName);
    if (this.#snapshotFile !== undefined && this.#snapshotFile !== seq)
      old.push(snapshotName(this.#snapshotFile));
    this.#segments = this.#segments.filter((s) => s >= seq);
    this.#snapshotFile = seq;
    for (const name of old) {
      try {
        await rm(join(this.#dir, name), { force: true });
      } catch (error) {
        // Harmless: the next open replays from the snapshot's segment and removes them.
        this.#warn('storage: could not remove an obsolete file', {
          file: join(this.#dir, name),
          error: String(error),
        });
      }
    }
  }
}

function checkCount(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative integer, got ${value}`);
  }
}
