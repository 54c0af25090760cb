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
 * A write that cannot be done: storage was closed, or an earlier write failed (its I/O
 * error is the cause), after which no later write may land behind a hole in the log.
 */
export class StorageUnavailableError extends RaftError {}
