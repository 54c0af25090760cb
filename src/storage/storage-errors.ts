/** Typed errors of durable storage: each says what went wrong and what to do about it. */
import { RaftError } from '../errors.js';

/**
 * The data directory holds something that cannot have been written by a crash alone: a
 * record whose checksum fails before the log's tail, a malformed record, a missing file.
 * The node refuses to start rather than run on a log it cannot trust.
 */
export class StorageCorruptedError extends RaftError {
  constructor(
    /** The damaged file's path. */
    readonly file: string,
    /** Where in it the damage starts, in bytes from the file's start. */
    readonly offset: number,
    readonly problem: string,
  ) {
    super(
      `storage corrupted: ${file} at byte ${offset}: ${problem}. Refusing to start on a log that cannot ` +
        'be trusted: restore the data directory from a healthy replica, or remove it so this node ' +
        'rejoins the cluster empty and catches up from the leader.',
    );
  }
}

/**
 * Opening the data directory failed on a file system call (the cause): the directory could
 * not be created, listed or read, a crash's leftover not cut or removed, a segment not opened.
 * Nothing is wrong with the data as far as it was read; fix the file system and start again.
 */
export class StorageOpenError extends RaftError {
  constructor(
    readonly dir: string,
    /** The file (or directory) the call was on. */
    readonly file: string,
    /** What was being done, as in "removing <file>". */
    readonly operation: string,
    cause: unknown,
  ) {
    super(
      `cannot open the data directory ${dir}: ${operation} ${file} failed (${messageOf(cause)}). ` +
        `${capitalized(remedy(cause))}, then start the node again.`,
      { cause },
    );
  }
}

/**
 * Runs one file system call of opening `dir`; its error becomes a StorageOpenError naming
 * the file. Errors that are not the file system's (a StorageCorruptedError, a bug) pass.
 */
export async function openStep<T>(
  dir: string,
  operation: string,
  file: string,
  call: () => Promise<T>,
): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof RaftError || !isSystemError(error)) throw error;
    throw new StorageOpenError(dir, file, operation, error);
  }
}

/**
 * A write that cannot be done: storage was closed, or a write failed (its I/O error is the
 * cause), after which no later write may land behind a hole in the log.
 */
export class StorageUnavailableError extends RaftError {
  /** The write failed on `cause`, or (`earlier`) a write before it did. */
  static afterFailure(dir: string, cause: unknown, earlier: boolean): StorageUnavailableError {
    const what = earlier
      ? `an earlier write to ${dir} failed, so no later write may land`
      : `a write to ${dir} failed`;
    return new StorageUnavailableError(
      `${what} (${messageOf(cause)}). ${capitalized(remedy(cause))}, then restart the node, which ` +
        'recovers every write that completed.',
      { cause },
    );
  }
}

function isSystemError(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string';
}

function messageOf(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}

/** What to do about a file system error, by its code. */
function remedy(cause: unknown): string {
  switch (isSystemError(cause) ? cause.code : undefined) {
    case 'EROFS':
    case 'EACCES':
    case 'EPERM':
      return 'the data directory is read-only or not writable by this process: remount it read-write or fix its permissions';
    case 'ENOSPC':
    case 'EDQUOT':
      return 'the filesystem is full: free space';
    case 'EMFILE':
    case 'ENFILE':
      return 'the process ran out of file descriptors: raise its open-files limit';
    case 'ENOTDIR':
    case 'EEXIST':
      return 'the data path, or a directory above it, is not a directory: point the node at a directory';
    case 'EIO':
      return (
        'the disk reported an I/O error: check the disk; if its data is damaged, restore the data ' +
        'directory from a healthy replica or remove it so the node rejoins empty'
      );
    default:
      return 'check that the data directory is on a working, writable filesystem';
  }
}

function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
