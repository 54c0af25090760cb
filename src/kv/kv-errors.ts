/**
 * Errors of the key/value service: a request it refuses before proposing anything (a bad
 * key, value or session) and a write that the session table superseded. Each says what to do.
 */
import { RaftError } from '../errors.js';

/** Base of the key/value service's own errors (the node's errors pass through as they are). */
export class KvError extends RaftError {}

/** The key is not 1..1024 bytes of UTF-8 without control characters; nothing was proposed. */
export class InvalidKeyError extends KvError {
  constructor(readonly problem: string) {
    super(`${problem}; nothing was proposed`);
  }
}

/** The value is not a string; nothing was proposed. */
export class InvalidValueError extends KvError {
  constructor(readonly problem: string) {
    super(`${problem}; nothing was proposed`);
  }
}

/** The session is not a client id (1..256 bytes, no control characters) with a seq >= 1. */
export class InvalidSessionError extends KvError {
  constructor(readonly problem: string) {
    super(`${problem}; nothing was proposed`);
  }
}

/**
 * The client already had a later request applied than this one (`seq` < `lastSeq`): this
 * request was superseded and applied as nothing. A client sends one request at a time, so
 * this means two writers share a client id, or a very late retry: give each writer its own
 * client id, and number each new request above `lastSeq`.
 */
export class StaleSequenceError extends KvError {
  constructor(
    readonly client: string,
    readonly seq: number,
    readonly lastSeq: number,
  ) {
    super(
      `client ${JSON.stringify(client)} sent seq ${seq}, but seq ${lastSeq} of that client was already ` +
        `applied, so this request was superseded and did nothing: number new requests above ${lastSeq}, ` +
        'and give each concurrent writer its own client id',
    );
  }
}

/**
 * The client's seq was already used for a different request (a `put` at seq 7, then a
 * `delete` at seq 7): the table answered the earlier request's result, and this one did
 * nothing. A seq names one request; its retries must repeat that request exactly.
 */
export class SequenceReusedError extends KvError {
  constructor(
    readonly client: string,
    readonly seq: number,
    readonly op: string,
    readonly appliedOp: string,
  ) {
    super(
      `client ${JSON.stringify(client)} sent a ${op} at seq ${seq}, but seq ${seq} of that client was a ` +
        `${appliedOp}, already applied, so this ${op} did nothing: number each new request with a new seq`,
    );
  }
}
