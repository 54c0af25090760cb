/**
 * A file system call that fails while FileStorage opens its directory (creating, listing,
 * reading, cutting a torn tail, removing a leftover, opening or syncing) is a
 * StorageOpenError naming the directory, the file and what to do, with the I/O error as
 * its cause: never a bare EROFS from an unlink. Errors are injected into `node:fs/promises`
 * and file handles; a really read-only directory is made with chmod, or (as root, whom
 * permission bits do not stop) with a read-only tmpfs.
 */
import type * as FsPromises from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { chmod, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { FileStorage } from '../../src/storage/file-storage.js';
import { StorageOpenError } from '../../src/storage/storage-errors.js';
import {
  cleanUp,
  entries,
  fileHandlePrototype,
  files,
  openError,
  openStorage,
  SEGMENT_1,
  size,
  systemError,
  tempDir,
} from './fixtures.js';
import { Tmpfs, tmpfsUnavailable } from './tmpfs.js';

/** Which fs/promises call fails, on which path, with which error. */
const faults = vi.hoisted(() => new Map<string, { readonly path: string; readonly error: Error }>());

vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof FsPromises>();
  const faulty =
    <A extends unknown[], R>(name: string, call: (...args: A) => Promise<R>) =>
    (...args: A): Promise<R> => {
      const fault = faults.get(name);
      if (fault !== undefined && String(args[0]) === fault.path) return Promise.reject(fault.error);
      return call(...args);
    };
  return {
    ...actual,
    mkdir: faulty('mkdir', actual.mkdir),
    readdir: faulty('readdir', actual.readdir),
    readFile: faulty('readFile', actual.readFile),
    rm: faulty('rm', actual.rm),
    open: faulty('open', actual.open),
  };
});

let handlePrototype: FileHandle;

beforeAll(async () => {
  handlePrototype = await fileHandlePrototype();
});

/** Every `call` on `path` fails with `code`, until the test ends. */
function fail(call: string, path: string, code: string): void {
  faults.set(call, { path, error: systemError(code, call, path) });
}

afterEach(async () => {
  faults.clear();
  vi.restoreAllMocks();
  await cleanUp();
});

/** A directory holding a term and vote, a snapshot at index 2 and entry 3 after it. */
async function healthyDir(): Promise<string> {
  const dir = await tempDir();
  const { storage } = await openStorage(dir);
  await storage.write({
    hardState: { currentTerm: 2, votedFor: 'n1' },
    log: { from: 1, entries: entries(1, 1, 1, 2) },
  });
  await storage.write({
    snapshot: { index: 2, term: 1, data: 'S' },
    log: { from: 3, entries: entries(3, 2) },
  });
  await storage.close();
  return dir;
}

function only(dir: string, prefix: string): Promise<string> {
  return files(dir).then((names) =>
    join(
      dir,
      names.find((name) => name.startsWith(prefix))!,
    ),
  );
}

async function expectOpenError(
  dir: string,
  expected: { file: string; operation: string; code: string; remedy: RegExp },
): Promise<StorageOpenError> {
  const error = await openError(dir);
  expect(error).toBeInstanceOf(StorageOpenError);
  const failed = error as StorageOpenError;
  expect(failed).toMatchObject({
    dir,
    file: expected.file,
    operation: expected.operation,
    name: 'StorageOpenError',
  });
  expect(failed.cause).toMatchObject({ code: expected.code });
  expect(failed.message).toContain(
    `cannot open the data directory ${dir}: ${expected.operation} ${expected.file} failed`,
  );
  expect(failed.message).toMatch(expected.remedy);
  expect(failed.message).toMatch(/then start the node again\.$/);
  return failed;
}

const READ_ONLY = /read-only or not writable by this process: remount it read-write or fix its permissions/;
const FULL = /The filesystem is full: free space/;
const IO = /I\/O error: check the disk/;

describe('FileStorage.open wraps each failing file system call', () => {
  it('creating the directory', async () => {
    const dir = join(await tempDir(), 'node-a');
    fail('mkdir', dir, 'EACCES');
    await expectOpenError(dir, { file: dir, operation: 'creating', code: 'EACCES', remedy: READ_ONLY });
  });

  it('a data path that is a file, not a directory (a real error)', async () => {
    const path = join(await tempDir(), 'a-file');
    await writeFile(path, 'not a directory');
    const error = await openError(path);
    expect(error).toBeInstanceOf(StorageOpenError);
    expect((error as StorageOpenError).message).toMatch(/is not a directory: point the node at a directory/);
  });

  it('listing the directory', async () => {
    const dir = await healthyDir();
    fail('readdir', dir, 'EIO');
    await expectOpenError(dir, { file: dir, operation: 'listing', code: 'EIO', remedy: IO });
  });

  it('reading a segment', async () => {
    const dir = await healthyDir();
    const segment = await only(dir, 'wal-');
    fail('readFile', segment, 'EIO');
    await expectOpenError(dir, { file: segment, operation: 'reading', code: 'EIO', remedy: IO });
  });

  it('reading the recorded snapshot (a failure other than its absence)', async () => {
    const dir = await healthyDir();
    const snapshot = await only(dir, 'snap-');
    fail('readFile', snapshot, 'EACCES');
    await expectOpenError(dir, { file: snapshot, operation: 'reading', code: 'EACCES', remedy: READ_ONLY });
  });

  it('cutting a torn tail', async () => {
    const dir = await healthyDir();
    const { storage } = await openStorage(dir);
    await storage.write({ log: { from: 4, entries: entries(4, 2) } });
    await storage.close();
    const segment = await only(dir, 'wal-');
    await truncate(segment, (await size(segment)) - 2);
    vi.spyOn(handlePrototype, 'truncate').mockRejectedValueOnce(systemError('EROFS', 'ftruncate'));
    await expectOpenError(dir, {
      file: segment,
      operation: 'cutting the torn tail of',
      code: 'EROFS',
      remedy: READ_ONLY,
    });
  });

  it('removing a snapshot write left behind (the EROFS unlink of the issue)', async () => {
    const dir = await healthyDir();
    const leftover = join(dir, 'snap-0000000000000009.snap.tmp');
    await writeFile(leftover, 'half a snapshot');
    fail('rm', leftover, 'EROFS');
    const error = await expectOpenError(dir, {
      file: leftover,
      operation: 'removing',
      code: 'EROFS',
      remedy: READ_ONLY,
    });
    expect(error.message).toContain('EROFS');
  });

  it('opening the segment to append', async () => {
    const dir = await healthyDir();
    const segment = await only(dir, 'wal-');
    fail('open', segment, 'EMFILE');
    await expectOpenError(dir, {
      file: segment,
      operation: 'opening',
      code: 'EMFILE',
      remedy: /ran out of file descriptors: raise its open-files limit/,
    });
  });

  it('syncing the directory', async () => {
    const dir = await healthyDir();
    vi.spyOn(handlePrototype, 'sync').mockRejectedValueOnce(systemError('ENOSPC', 'fsync'));
    await expectOpenError(dir, { file: dir, operation: 'syncing', code: 'ENOSPC', remedy: FULL });
  });

  it('and once the cause is gone, the same directory opens with its state', async () => {
    const dir = await healthyDir();
    fail('readdir', dir, 'EIO');
    await openError(dir);
    faults.clear();
    const { storage } = await openStorage(dir);
    expect(await storage.load()).toEqual({
      hardState: { currentTerm: 2, votedFor: 'n1' },
      snapshot: { index: 2, term: 1, data: 'S' },
      entries: entries(3, 2),
    });
  });
});

describe('FileStorage.open on a directory that is really read-only', () => {
  const asRoot = process.getuid?.() === 0;
  const noTmpfs = asRoot ? tmpfsUnavailable() : undefined;
  // Root passes permission checks, so chmod makes nothing read-only for it: a read-only
  // tmpfs does, where it can be mounted.
  const technique = !asRoot ? 'chmod' : noTmpfs === undefined ? 'read-only tmpfs' : undefined;
  if (technique === undefined) {
    console.warn(
      `skipping the real read-only directory tests: running as root, where chmod does not stop ` +
        `writes, and ${noTmpfs}`,
    );
  } else if (technique === 'chmod') {
    console.warn(
      'skipping the read-only filesystem test: a directory chmod-ed read-only still lets its owner ' +
        'append to its files, and mounting a read-only tmpfs needs root',
    );
  }
  let tmpfs: Tmpfs | undefined;

  afterAll(() => tmpfs?.unmount());

  /** `dir` becomes read-only; returns how to undo it. */
  async function makeReadOnly(dir: string): Promise<() => Promise<void>> {
    if (technique === 'chmod') {
      await chmod(dir, 0o555);
      return () => chmod(dir, 0o755);
    }
    tmpfs!.readOnly(true);
    return async () => tmpfs!.readOnly(false);
  }

  /** A data directory (on the tmpfs, if that is the technique) holding entries 1-2. */
  async function dataDir(name: string): Promise<string> {
    if (technique === 'read-only tmpfs') tmpfs ??= Tmpfs.mount(1024 * 1024);
    const dir = tmpfs === undefined ? await tempDir() : join(tmpfs.dir, name);
    const storage = await FileStorage.open(dir);
    await storage.write({
      hardState: { currentTerm: 1, votedFor: null },
      log: { from: 1, entries: entries(1, 1, 1) },
    });
    await storage.close();
    return dir;
  }

  it.skipIf(technique === undefined)(
    'a snapshot write left behind cannot be removed: the error names it and says the directory is read-only',
    async () => {
      const dir = await dataDir('leftover');
      const leftover = join(dir, 'snap-0000000000000002.snap.tmp');
      await writeFile(leftover, 'a snapshot write the disk filled up under');
      const undo = await makeReadOnly(dir);
      try {
        const error = await openError(dir);
        expect(error).toBeInstanceOf(StorageOpenError);
        expect(error).toMatchObject({ dir, file: leftover, operation: 'removing' });
        expect((error as StorageOpenError).message).toMatch(READ_ONLY);
      } finally {
        await undo();
      }
      const { storage } = await openStorage(dir);
      expect((await storage.load()).entries).toEqual(entries(1, 1, 1));
      expect(await files(dir)).toEqual([SEGMENT_1]);
    },
  );

  // A directory without write permission still lets its owner append to the files in it.
  it.skipIf(technique !== 'read-only tmpfs')(
    'a healthy directory on a read-only filesystem: the error names the segment it cannot append to',
    async () => {
      const dir = await dataDir('healthy');
      const undo = await makeReadOnly(dir);
      try {
        await expectOpenError(dir, {
          file: join(dir, SEGMENT_1),
          operation: 'opening',
          code: 'EROFS',
          remedy: READ_ONLY,
        });
      } finally {
        await undo();
      }
    },
  );
});
