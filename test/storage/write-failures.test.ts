/**
 * A write that fails (a full disk: ENOSPC) corrupts nothing: it rejects, every later write
 * rejects with StorageUnavailableError, and once space is freed a reopen of the directory
 * recovers exactly the writes that completed. Failures are injected into file handles at
 * each step of a write (a short write then ENOSPC, as write(2) reports a full disk; a failed
 * fsync), and where a tmpfs can be mounted one is really filled.
 */
import type { FileHandle } from 'node:fs/promises';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { PersistedState, StorageBatch } from '../../src/node/providers.js';
import type { FileStorage } from '../../src/storage/file-storage.js';
import { MemoryStorage } from '../../src/storage/memory-storage.js';
import { encodeSnapshotFile } from '../../src/storage/snapshot-file.js';
import { StorageUnavailableError } from '../../src/storage/storage-errors.js';
import {
  cleanUp,
  entries,
  fileHandlePrototype,
  files,
  openStorage,
  reopen,
  SEGMENT_1,
  size,
  systemError,
  tempDir,
} from './fixtures.js';
import { Tmpfs, tmpfsUnavailable } from './tmpfs.js';

let handlePrototype: FileHandle;

beforeAll(async () => {
  handlePrototype = await fileHandlePrototype();
});

afterEach(async () => {
  vi.restoreAllMocks();
  await cleanUp();
});

type Write = (buffer: Buffer, offset: number, length: number) => Promise<{ bytesWritten: number }>;

/** From now on every FileHandle write goes through `wrap`, which is given the real write. */
function interceptWrites(
  wrap: (write: Write, buffer: Buffer, offset: number, length: number) => ReturnType<Write>,
): void {
  const real = handlePrototype.write as unknown as Write;
  vi.spyOn(handlePrototype, 'write').mockImplementation(function (
    this: FileHandle,
    buffer: Buffer,
    offset: number,
    length: number,
  ) {
    return wrap((b, o, l) => real.call(this, b, o, l), buffer, offset, length);
  } as never);
}

/**
 * From now on the disk has `bytes` left: writes fill it, then fail with ENOSPC as write(2)
 * does on a full disk, first short, then with the error.
 */
function diskFullAfter(bytes: number): void {
  let left = bytes;
  interceptWrites(async (write, buffer, offset, length) => {
    if (left === 0) throw systemError('ENOSPC', 'write');
    const bytesWritten = Math.min(left, length);
    left -= bytesWritten;
    return write(buffer, offset, bytesWritten);
  });
}

/**
 * The `nth` write from now on (1 for the next) reaches the file but fails to become durable:
 * a segment is open with O_DSYNC, so its write reports what a failed fdatasync would.
 */
function durableWriteFails(nth: number): void {
  let calls = 0;
  interceptWrites(async (write, buffer, offset, length) => {
    const result = await write(buffer, offset, length);
    if (++calls === nth) throw systemError('ENOSPC', 'write');
    return result;
  });
}

/** The `nth` datasync from now on (1 for the next) fails with ENOSPC. */
function datasyncFails(nth: number): void {
  const datasync = handlePrototype.datasync;
  let calls = 0;
  vi.spyOn(handlePrototype, 'datasync').mockImplementation(function (this: FileHandle) {
    return ++calls === nth ? Promise.reject(systemError('ENOSPC', 'fdatasync')) : datasync.call(this);
  });
}

const FULL =
  /The filesystem is full: free space, then restart the node, which recovers every write that completed/;

/** `write` is refused as the failure's own, then every later write as after an earlier failure. */
async function expectFailed(storage: FileStorage, write: Promise<void>): Promise<void> {
  const error: unknown = await write.catch((e: unknown) => e);
  expect(error).toBeInstanceOf(StorageUnavailableError);
  expect(error).toMatchObject({ cause: { code: 'ENOSPC' } });
  expect((error as Error).message).toMatch(/^a write to .* failed \(ENOSPC/);
  expect((error as Error).message).toMatch(FULL);
  vi.restoreAllMocks(); // space is freed, but the failed storage stays failed
  for (const batch of [
    { hardState: { currentTerm: 9, votedFor: null } },
    { log: { from: 1, entries: [] } },
  ]) {
    const later: unknown = await storage.write(batch).catch((e: unknown) => e);
    expect(later).toBeInstanceOf(StorageUnavailableError);
    expect((later as Error).message).toMatch(/^an earlier write to .* failed, so no later write may land/);
    expect(later).toMatchObject({ cause: { code: 'ENOSPC' } });
  }
}

/** A term, entries 1-5 over three batches; returns the state. */
async function someWrites(storage: FileStorage): Promise<PersistedState> {
  await storage.write({
    hardState: { currentTerm: 1, votedFor: 'n1' },
    log: { from: 1, entries: entries(1, 1) },
  });
  await storage.write({ log: { from: 2, entries: entries(2, 1, 1) } });
  await storage.write({ log: { from: 4, entries: entries(4, 1, 1) } });
  return storage.load();
}

const NEXT_APPEND: StorageBatch = {
  hardState: { currentTerm: 2, votedFor: 'n2' },
  log: { from: 6, entries: entries(6, 2, 2) },
};

describe('ENOSPC during a WAL append', () => {
  it('a write cut short: it rejects, later writes reject, the segment is cut back, a reopen recovers exactly the completed writes', async () => {
    const dir = await tempDir();
    const { storage } = await openStorage(dir);
    const completed = await someWrites(storage);
    const bytes = await size(join(dir, SEGMENT_1));
    diskFullAfter(10);
    await expectFailed(storage, storage.write(NEXT_APPEND));
    expect(await storage.load()).toEqual(completed);
    expect(await size(join(dir, SEGMENT_1))).toBe(bytes);

    const again = await reopen(storage, dir);
    expect(await again.storage.load()).toEqual(completed);
    expect(again.warnings).toEqual([]);
    await again.storage.write(NEXT_APPEND);
    const last = await reopen(again.storage, dir);
    expect((await last.storage.load()).entries).toEqual([...completed.entries, ...entries(6, 2, 2)]);
  });

  it('and the cut back failing too: a warning, and the reopen cuts the torn tail with a warning', async () => {
    const dir = await tempDir();
    const { storage, warnings } = await openStorage(dir);
    const completed = await someWrites(storage);
    const bytes = await size(join(dir, SEGMENT_1));
    diskFullAfter(10);
    vi.spyOn(handlePrototype, 'truncate').mockRejectedValueOnce(systemError('EIO', 'ftruncate'));
    await expectFailed(storage, storage.write(NEXT_APPEND));
    expect(warnings).toMatchObject([
      { message: expect.stringContaining('could not cut a failed write back'), details: { offset: bytes } },
    ]);
    expect(await size(join(dir, SEGMENT_1))).toBe(bytes + 10);

    const again = await reopen(storage, dir);
    expect(await again.storage.load()).toEqual(completed);
    expect(again.warnings).toMatchObject([
      {
        message: expect.stringContaining('torn write'),
        details: { file: join(dir, SEGMENT_1), offset: bytes, bytes: 10 },
      },
    ]);
  });

  it('its sync failing (an O_DSYNC write): the batch written but not durable is cut back, so a reopen does not find it', async () => {
    const dir = await tempDir();
    const { storage } = await openStorage(dir);
    const completed = await someWrites(storage);
    const bytes = await size(join(dir, SEGMENT_1));
    durableWriteFails(1);
    await expectFailed(storage, storage.write(NEXT_APPEND));
    expect(await size(join(dir, SEGMENT_1))).toBe(bytes);
    const again = await reopen(storage, dir);
    expect(await again.storage.load()).toEqual(completed);
    expect(again.warnings).toEqual([]);
  });
});

describe('ENOSPC during a snapshot write', () => {
  const snapshot = { index: 3, term: 1, data: 'x'.repeat(200) };
  const batch: StorageBatch = { snapshot, log: { from: 4, entries: entries(4, 1, 1) } };
  const fileBytes = encodeSnapshotFile(snapshot).length;

  const cases: { at: string; inject: () => void; unrecordedLeft: boolean }[] = [
    { at: 'writing the snapshot file', inject: () => diskFullAfter(fileBytes - 20), unrecordedLeft: false },
    { at: 'syncing the snapshot file', inject: () => datasyncFails(1), unrecordedLeft: false },
    {
      at: 'appending its record to the log',
      inject: () => diskFullAfter(fileBytes + 10),
      unrecordedLeft: true,
    },
    // The snapshot file's write is the first, its record's (O_DSYNC) the second.
    { at: 'syncing its record', inject: () => durableWriteFails(2), unrecordedLeft: true },
  ];
  for (const { at, inject, unrecordedLeft } of cases) {
    it(`${at}: no temporary file is left, later writes reject, a reopen recovers exactly the completed writes`, async () => {
      const dir = await tempDir();
      const { storage } = await openStorage(dir);
      const completed = await someWrites(storage);
      const before = await files(dir);
      inject();
      await expectFailed(storage, storage.write(batch));
      const after = await files(dir);
      expect(after.filter((name) => name.endsWith('.tmp'))).toEqual([]);
      // Renamed into place before its record failed: the reopen discards it with a warning.
      const snapshotLeft = after.filter((name) => name.startsWith('snap-'));
      expect(snapshotLeft).toHaveLength(unrecordedLeft ? 1 : 0);

      const again = await reopen(storage, dir);
      expect(await again.storage.load()).toEqual(completed);
      expect(again.warnings.map((w) => w.message)).toEqual(
        unrecordedLeft ? [expect.stringContaining('never recorded')] : [],
      );
      expect((await files(dir)).filter((name) => !before.includes(name) && !name.startsWith('wal-'))).toEqual(
        [],
      );
      await again.storage.write(batch);
      const last = await reopen(again.storage, dir);
      expect(await last.storage.load()).toEqual({ ...completed, snapshot, entries: entries(4, 1, 1) });
    });
  }
});

describe('a really full filesystem (a small tmpfs)', () => {
  const unavailable = tmpfsUnavailable();
  if (unavailable !== undefined) console.warn(`skipping the full tmpfs test: ${unavailable}`);
  let tmpfs: Tmpfs | undefined;

  afterAll(() => tmpfs?.unmount());

  it.skipIf(unavailable !== undefined)(
    'the write that finds it full and every later one reject; with space freed, a reopen recovers exactly what completed; a snapshot too big for it leaves nothing',
    async () => {
      tmpfs = Tmpfs.mount(256 * 1024);
      const dir = join(tmpfs.dir, 'data');
      // Space to free later: what an operator would clear up.
      const reserve = join(tmpfs.dir, 'reserve');
      await writeFile(reserve, Buffer.alloc(64 * 1024));
      const { storage } = await openStorage(dir, { segmentBytes: 16 * 1024 });
      const memory = new MemoryStorage();
      let failure: unknown;
      for (let i = 1; failure === undefined && i < 1000; i++) {
        const batch: StorageBatch = {
          hardState: { currentTerm: i, votedFor: null },
          log: { from: i, entries: [{ term: i, command: `${i}:${'y'.repeat(1000)}` }] },
        };
        await storage.write(batch).then(
          () => memory.write(batch),
          (error: unknown) => (failure = error),
        );
      }
      expect(failure).toBeDefined();
      await expectFailed(storage, Promise.reject(failure));
      expect(await storage.load()).toEqual(await memory.load());

      await rm(reserve);
      const again = await reopen(storage, dir, { segmentBytes: 16 * 1024 });
      expect(await again.storage.load()).toEqual(await memory.load());
      expect(again.warnings).toEqual([]);

      // 64 KiB free, and a snapshot of 128 KiB.
      const big = { index: 5, term: 5, data: 'z'.repeat(128 * 1024) };
      const tooBig = again.storage.write({ snapshot: big, log: { from: 6, entries: [] } });
      await expectFailed(again.storage, tooBig);
      expect((await files(dir)).filter((name) => name.startsWith('snap-'))).toEqual([]);
      const last = await reopen(again.storage, dir, { segmentBytes: 16 * 1024 });
      expect(await last.storage.load()).toEqual(await memory.load());
      expect(last.warnings).toEqual([]);
      const next = (await memory.load()).entries.length + 1;
      await last.storage.write({ log: { from: next, entries: [{ term: 1, command: 'after' }] } });
      await last.storage.close();
    },
  );
});
