/**
 * What the file storage tests share: temporary data directories, storage opened with its
 * warnings collected, and the check that an open is refused as corruption. Each test file
 * calls `cleanUp` after each test.
 */
import type { FileHandle } from 'node:fs/promises';
import { mkdtemp, open, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { LogEntry } from '../../machines/index.js';
import type { PersistedState } from '../../src/node/providers.js';
import type { FileStorageOptions } from '../../src/storage/file-storage.js';
import { FileStorage } from '../../src/storage/file-storage.js';
import { StorageCorruptedError } from '../../src/storage/storage-errors.js';

export const SEGMENT_1 = 'wal-0000000000000001.log';

/** What a new node's storage holds. */
export const EMPTY: PersistedState = { hardState: { currentTerm: 0, votedFor: null }, entries: [] };

const directories: string[] = [];
const opened: FileStorage[] = [];

/** Closes what the test opened and removes its directories. */
export async function cleanUp(): Promise<void> {
  for (const storage of opened.splice(0)) await storage.close().catch(() => {});
  for (const dir of directories.splice(0)) await rm(dir, { recursive: true, force: true });
}

export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'raftchart-file-storage-'));
  directories.push(dir);
  return dir;
}

export interface Warning {
  readonly message: string;
  readonly details: object;
}

/** Opens storage in `dir`, collecting its warnings; cleanUp closes it. */
export async function openStorage(
  dir: string,
  options: FileStorageOptions = {},
): Promise<{ storage: FileStorage; warnings: Warning[] }> {
  const warnings: Warning[] = [];
  const storage = await FileStorage.open(dir, {
    warn: (message, details) => warnings.push({ message, details }),
    ...options,
  });
  opened.push(storage);
  return { storage, warnings };
}

/** Close and open again: what a restart recovers. */
export async function reopen(storage: FileStorage, dir: string, options: FileStorageOptions = {}) {
  await storage.close();
  return openStorage(dir, options);
}

export function entries(from: number, ...terms: number[]): LogEntry[] {
  return terms.map((term, i) => ({ term, command: `cmd${from + i}` }));
}

export async function files(dir: string): Promise<string[]> {
  return (await readdir(dir)).sort();
}

export async function size(path: string): Promise<number> {
  return (await stat(path)).size;
}

/** The error opening `dir` fails with (the test fails if it opens). */
export async function openError(dir: string, options: FileStorageOptions = {}): Promise<unknown> {
  const storage = await FileStorage.open(dir, { warn: () => {}, ...options }).catch(
    (error: unknown) => error,
  );
  if (storage instanceof FileStorage) {
    opened.push(storage);
    expect.fail(`opening ${dir} should have failed`);
  }
  return storage;
}

/** Opening `dir` is refused as corruption of `file` at `offset`, with the remedy; nothing is changed. */
export async function expectCorrupted(
  dir: string,
  file: string,
  offset: number,
): Promise<StorageCorruptedError> {
  const before = await files(dir);
  const error = await openError(dir);
  expect(error).toBeInstanceOf(StorageCorruptedError);
  const corrupted = error as StorageCorruptedError;
  expect(corrupted).toMatchObject({ file, offset, name: 'StorageCorruptedError' });
  expect(corrupted.message).toContain(`${file} at byte ${offset}`);
  expect(corrupted.message).toMatch(/restore the data directory from a healthy replica, or remove it/);
  expect(await files(dir)).toEqual(before);
  return corrupted;
}

/** An error as the file system reports it, for injecting. */
export function systemError(code: string, syscall: string, path?: string): NodeJS.ErrnoException {
  const on = path === undefined ? '' : ` '${path}'`;
  return Object.assign(new Error(`${code}: injected failure, ${syscall}${on}`), {
    code,
    syscall,
    ...(path === undefined ? {} : { path }),
  });
}

/** The prototype of every FileHandle, whose methods a test can spy on to inject failures. */
export async function fileHandlePrototype(): Promise<FileHandle> {
  const handle = await open(join(await tempDir(), 'probe'), 'w');
  await handle.close();
  return Object.getPrototypeOf(handle) as FileHandle;
}
