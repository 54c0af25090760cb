/**
 * Durable storage for real nodes: a segmented, append-only write-ahead log in one
 * directory, whose records are hardState, snapshot references, truncations and entries
 * alike, so a batch is one write and one fsync; snapshots in their own files, written to a
 * temporary name, synced and renamed into place before the log records them. The state
 * is kept in memory too (the node holds its log in memory anyway), so `load` reads nothing.
 * Group commit: while one write and its fsync are under way, every batch that arrives waits,
 * and all of them go next as one write and one fsync (each still its own WAL batch, so
 * recovery keeps a prefix of them whole); each is acknowledged only once that fsync is done.
 * Layout, record format and recovery rules: docs/storage.md.
 */
import type { FileHandle } from 'node:fs/promises';
import { constants } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { SnapshotRecord } from '../../machines/index.js';
import type { PersistedState, Storage, StorageBatch } from '../node/providers.js';
import { segmentName, snapshotName, temporaryName } from './data-dir.js';
import type { RecoveredDir, Warn } from './data-dir-recovery.js';
import { recoverDataDir } from './data-dir-recovery.js';
import { syncDirectory, writeAll, writeFileSynced } from './durable-fs.js';
import type { LogState } from './log-state.js';
import { encodeSnapshotFile } from './snapshot-file.js';
import { openStep, StorageUnavailableError } from './storage-errors.js';
import { encodeBatch, RecordKind } from './wal-frame.js';
import type { WalRecord } from './wal-records.js';
import { encodeRecord } from './wal-records.js';

export interface FileStorageOptions {
  /** A segment is closed and the next one started once a batch would take it past this. */
  readonly segmentBytes?: number;
  /**
   * Where recovery reports what it discarded (a torn last write, an unrecorded snapshot), and
   * a write what it could not clean up.
   */
  readonly warn?: (message: string, details: object) => void;
  /**
   * false skips every fsync: a killed process still loses nothing (the OS has the data),
   * but a power failure may. For tests and benchmarks only.
   */
  readonly fsync?: boolean;
  /**
   * Told how long each group's durable write to the write-ahead log took (its write and
   * fsync are one O_DSYNC write), in seconds, for metrics;
   * not called when `fsync` is false. It must not throw.
   */
  readonly onSync?: (seconds: number) => void;
}

export const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;

/**
 * How a segment is opened for appending. With fsync, O_DSYNC: each write returns once its
 * data is durable, as a write then an fdatasync would, in one call to the thread pool
 * instead of two (each a wake-up on the critical path of a commit).
 */
function segmentFlags(fsync: boolean, create: boolean): number {
  const { O_WRONLY, O_APPEND, O_CREAT, O_EXCL, O_DSYNC } = constants;
  return O_WRONLY | O_APPEND | O_CREAT | (create ? O_EXCL : 0) | (fsync ? O_DSYNC : 0);
}

/** A batch waiting for its group's write, and how to tell its writer the outcome. */
interface QueuedBatch {
  readonly batch: StorageBatch;
  resolve(): void;
  reject(error: unknown): void;
}

interface Segment {
  readonly seq: number;
  readonly handle: FileHandle;
  bytes: number;
}

export class FileStorage implements Storage {
  readonly #dir: string;
  readonly #segmentBytes: number;
  readonly #fsync: boolean;
  readonly #onSync: (seconds: number) => void;
  readonly #warn: Warn;
  readonly #state: LogState;
  #segment: Segment;
  /** Segments that hold the state, ascending; the last is #segment. */
  #segments: number[];
  #snapshotFile: number | undefined;
  /** Batches issued and not yet written, in order; the drain takes them a group at a time. */
  #queue: QueuedBatch[] = [];
  /** The drain under way while the queue is worked off; undefined when idle. */
  #draining: Promise<void> | undefined;
  #failure: unknown;
  #closing: Promise<void> | undefined;

  private constructor(
    dir: string,
    options: Required<FileStorageOptions>,
    recovered: RecoveredDir,
    segment: Segment,
  ) {
    this.#dir = dir;
    this.#segmentBytes = options.segmentBytes;
    this.#fsync = options.fsync;
    this.#onSync = options.onSync;
    this.#warn = options.warn;
    this.#state = recovered.state;
    this.#segment = segment;
    this.#segments = [...recovered.segments];
    this.#snapshotFile = recovered.snapshotFile;
  }

  /**
   * Opens the data directory (creating it if needed) and recovers its state: a torn last
   * write is cut off with a warning, damage refuses to open with a StorageCorruptedError, and
   * a file system call that fails with a StorageOpenError naming the file and the remedy.
   */
  static async open(dir: string, options: FileStorageOptions = {}): Promise<FileStorage> {
    const segmentBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    if (!Number.isSafeInteger(segmentBytes) || segmentBytes < 1) {
      throw new RangeError(`segmentBytes must be a positive integer, got ${segmentBytes}`);
    }
    const settings: Required<FileStorageOptions> = {
      segmentBytes,
      fsync: options.fsync ?? true,
      onSync: options.onSync ?? (() => {}),
      warn:
        options.warn ?? ((message, details) => process.emitWarning(`${message} ${JSON.stringify(details)}`)),
    };
    const created = await openStep(dir, 'creating', dir, () => mkdir(dir, { recursive: true }));
    if (created !== undefined && settings.fsync) {
      const parent = dirname(created);
      await openStep(dir, 'syncing', parent, () => syncDirectory(parent));
    }
    const recovered = await recoverDataDir(dir, settings);
    const seq = recovered.segments.at(-1)!;
    const file = join(dir, segmentName(seq));
    const handle = await openStep(dir, 'opening', file, () =>
      open(file, segmentFlags(settings.fsync, false)),
    );
    // The first segment's creation and the leftovers' removal are durable before any write.
    if (settings.fsync) {
      await openStep(dir, 'syncing', dir, () => syncDirectory(dir)).catch(async (error: unknown) => {
        await handle.close();
        throw error;
      });
    }
    return new FileStorage(dir, settings, recovered, { seq, handle, bytes: recovered.lastSegmentBytes });
  }

  /** The state as of every write issued so far (it waits for them). */
  load(): Promise<PersistedState> {
    return this.#idle().then(() => this.#state.toPersisted());
  }

  /**
   * Resolves once the batch is durable, after every write issued before it. Batches
   * issued while a write is under way share the next write and fsync (group commit).
   */
  write(batch: StorageBatch): Promise<void> {
    if (this.#closing !== undefined) {
      return Promise.reject(new StorageUnavailableError(`storage in ${this.#dir} is closed: open it again`));
    }
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ batch, resolve, reject });
      this.#draining ??= this.#drain();
    });
  }

  /** Waits for the writes issued, then releases the files; later writes are refused. */
  close(): Promise<void> {
    this.#closing ??= this.#idle().then(() => this.#segment.handle.close());
    return this.#closing;
  }

  /** Resolves once every batch issued so far is written (or refused). */
  #idle(): Promise<void> {
    return this.#draining ?? Promise.resolve();
  }

  /** Works off the queue one group at a time; a group settles each of its batches. */
  async #drain(): Promise<void> {
    // Starts on the next microtask: `#draining` is set before anything settles, and the
    // batches of this same turn join the first group.
    await Promise.resolve();
    while (this.#queue.length > 0) {
      const group = this.#takeGroup();
      if (group[0]!.batch.snapshot !== undefined) await this.#writeOne(group[0]!);
      else await this.#writeGroup(group);
    }
    this.#draining = undefined;
  }

  /** The queue's head: a snapshot batch alone (it starts a segment), or every batch up to the next one. */
  #takeGroup(): QueuedBatch[] {
    const queue = this.#queue;
    let end = 1;
    if (queue[0]!.batch.snapshot === undefined) {
      while (end < queue.length && queue[end]!.batch.snapshot === undefined) end++;
    }
    const group = queue.slice(0, end);
    this.#queue = queue.slice(end);
    return group;
  }

  async #writeOne(queued: QueuedBatch): Promise<void> {
    try {
      await this.#write(queued.batch);
      queued.resolve();
    } catch (error) {
      queued.reject(error);
    }
  }

  /**
   * Batches without a snapshot, as one write and one fsync: each checked against the state
   * the ones before it leave (a batch that does not fit is refused alone), each its own WAL
   * batch, all acknowledged once the fsync is done, or all refused if the write fails.
   */
  async #writeGroup(group: readonly QueuedBatch[]): Promise<void> {
    if (this.#failure !== undefined) {
      const error = StorageUnavailableError.afterFailure(this.#dir, this.#failure, true);
      for (const queued of group) queued.reject(error);
      return;
    }
    const accepted: { queued: QueuedBatch; entrySizes: number[] }[] = [];
    const buffers: Buffer[] = [];
    let last = this.#state.lastIndex;
    for (const queued of group) {
      try {
        const { records, lastIndex } = this.#records(queued.batch, 0, this.#state.baseIndex, last);
        const encoded = records.map(encodeRecord);
        if (encoded.length > 0) buffers.push(encodeBatch(encoded));
        // An entry's record body is the text its size is counted by: encoded once, for both.
        const entrySizes = encoded
          .filter((r) => r.kind === RecordKind.entry)
          .map((r) => Buffer.byteLength(r.body));
        last = lastIndex;
        accepted.push({ queued, entrySizes });
      } catch (error) {
        queued.reject(error);
      }
    }
    if (buffers.length > 0) {
      const buffer = buffers.length === 1 ? buffers[0]! : Buffer.concat(buffers);
      try {
        if (this.#segment.bytes > 0 && this.#segment.bytes + buffer.length > this.#segmentBytes) {
          await this.#startSegment(this.#segment.seq + 1);
        }
        await this.#append(buffer);
      } catch (error) {
        this.#failure = error;
        const failed = StorageUnavailableError.afterFailure(this.#dir, error, false);
        for (const { queued } of accepted) queued.reject(failed);
        return;
      }
    }
    for (const { queued, entrySizes } of accepted) {
      this.#apply(queued.batch, entrySizes);
      queued.resolve();
    }
  }

  /** Bytes of the Raft state as MemoryStorage counts them (not the WAL's size on disk). */
  get stateBytes(): number {
    return this.#state.stateBytes;
  }

  /** Bytes of the snapshot's data (UTF-8). */
  get snapshotBytes(): number {
    return this.#state.snapshotBytes;
  }

  async #write(batch: StorageBatch): Promise<void> {
    if (this.#failure !== undefined) {
      throw StorageUnavailableError.afterFailure(this.#dir, this.#failure, true);
    }
    // A snapshot starts a segment of its own (this one, if still empty), so every older
    // segment can go once it is durable.
    const snapshotSeq = this.#segment.bytes === 0 ? this.#segment.seq : this.#segment.seq + 1;
    const { records } = this.#records(batch, snapshotSeq, this.#state.baseIndex, this.#state.lastIndex);
    if (records.length === 0) return;
    const buffer = encodeBatch(records.map(encodeRecord));
    try {
      if (batch.snapshot !== undefined) {
        await this.#writeSnapshotFile(batch.snapshot, snapshotSeq);
        await this.#startSegment(snapshotSeq);
      } else if (this.#segment.bytes > 0 && this.#segment.bytes + buffer.length > this.#segmentBytes) {
        await this.#startSegment(this.#segment.seq + 1);
      }
      await this.#append(buffer);
    } catch (error) {
      this.#failure = error;
      throw StorageUnavailableError.afterFailure(this.#dir, error, false);
    }
    this.#apply(batch);
    if (batch.snapshot !== undefined) await this.#removeBefore(snapshotSeq);
  }

  /**
   * Appends one batch to the current segment and makes it durable. If that fails, the
   * segment is cut back to the writes that completed, so a restart recovers exactly those
   * (best effort: if the cut fails too, recovery finds a torn tail to cut, or the whole batch).
   */
  async #append(buffer: Buffer): Promise<void> {
    const segment = this.#segment;
    let syncSeconds: number | undefined;
    try {
      // The segment is open with O_DSYNC when fsync is on: the write is the sync.
      const started = performance.now();
      await writeAll(segment.handle, buffer);
      if (this.#fsync) syncSeconds = (performance.now() - started) / 1000;
    } catch (error) {
      await segment.handle.truncate(segment.bytes).catch((cutError: unknown) =>
        this.#warn('storage: could not cut a failed write back off the log', {
          file: join(this.#dir, segmentName(segment.seq)),
          offset: segment.bytes,
          error: String(cutError),
        }),
      );
      throw error;
    }
    segment.bytes += buffer.length;
    if (syncSeconds !== undefined) this.#onSync(syncSeconds);
  }

  /**
   * The batch's records, checked against a log from `base` to `last` (what every earlier
   * write leaves), and the log's last index after it.
   */
  #records(
    batch: StorageBatch,
    snapshotSeq: number,
    base: number,
    last: number,
  ): { records: WalRecord[]; lastIndex: number } {
    const records: WalRecord[] = [];
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
      last = log.from - 1 + log.entries.length;
    }
    return { records, lastIndex: last };
  }

  /** The batch, applied to the state in memory; `entrySizes`, if known, are its entries' sizes. */
  #apply({ snapshot, hardState, log }: StorageBatch, entrySizes?: readonly number[]): void {
    if (snapshot !== undefined) this.#state.replaceBase(snapshot);
    if (hardState !== undefined) this.#state.hardState = hardState;
    if (log !== undefined) {
      if (log.from <= this.#state.lastIndex) this.#state.truncateFrom(log.from);
      log.entries.forEach((entry, i) => this.#state.append(entry, entrySizes?.[i]));
    }
  }

  /**
   * Written whole under a temporary name, synced, then renamed into place. If that fails
   * (a full disk), the temporary file goes too (best effort: the next open removes it).
   */
  async #writeSnapshotFile(snapshot: SnapshotRecord, seq: number): Promise<void> {
    const path = join(this.#dir, snapshotName(seq));
    const temporary = temporaryName(path);
    try {
      await writeFileSynced(temporary, encodeSnapshotFile(snapshot), this.#fsync);
      await rename(temporary, path);
    } catch (error) {
      await rm(temporary, { force: true }).catch(() => {});
      throw error;
    }
  }

  /**
   * Appends from now on to segment `seq` (created unless it is the current, empty one),
   * once the directory holds it durably, with whatever was renamed into it before.
   */
  async #startSegment(seq: number): Promise<void> {
    const previous = this.#segment;
    if (seq !== previous.seq) {
      const handle = await open(join(this.#dir, segmentName(seq)), segmentFlags(this.#fsync, true));
      this.#segment = { seq, handle, bytes: 0 };
      this.#segments.push(seq);
      await previous.handle.close();
    }
    if (this.#fsync) await syncDirectory(this.#dir);
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
