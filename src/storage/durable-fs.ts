/** The file system calls durability rests on: whole writes, fsync of files and directories. */
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';

/** Writes all of `buffer` at the handle's position (its end, for a file opened to append). */
export async function writeAll(handle: FileHandle, buffer: Buffer): Promise<void> {
  let written = 0;
  while (written < buffer.length) {
    const { bytesWritten } = await handle.write(buffer, written, buffer.length - written);
    written += bytesWritten;
  }
}

/** Makes the directory's entries durable: files created, renamed or removed in it. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Creates (or replaces) `path` with `data` and, if `fsync`, makes its content durable. */
export async function writeFileSynced(path: string, data: Buffer, fsync: boolean): Promise<void> {
  const handle = await open(path, 'w');
  try {
    await writeAll(handle, data);
    if (fsync) await handle.datasync();
  } finally {
    await handle.close();
  }
}

/** Cuts `path` back to `length` bytes and, if `fsync`, makes that durable. */
export async function truncateFile(path: string, length: number, fsync: boolean): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    await handle.truncate(length);
    if (fsync) await handle.datasync();
  } finally {
    await handle.close();
  }
}
