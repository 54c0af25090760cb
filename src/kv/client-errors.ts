/**
 * What a KvClient rejects with. A timeout says whether the write may have been applied (a
 * request may have reached a node) or surely was not (every node refused it outright); a
 * definite refusal carries the server's own error name and message.
 */
import { RaftError } from '../errors.js';

/** The client's operations: the four writes and the read. */
export type KvClientOp = 'get' | 'put' | 'append' | 'delete' | 'cas';

/** Base of KvClient's own errors. */
export class KvClientError extends RaftError {}

/**
 * No node completed the operation before the client's deadline (`timeoutMs`). For a write,
 * `mayHaveApplied` says whether some request may have reached a node that proposed it
 * (a request timed out, a connection dropped, a node answered 504): then its outcome is
 * unknown, and reading the key tells. When false, every node refused it before proposing
 * anything (connection refused, no leader known), and it was not applied.
 */
export class KvTimeoutError extends KvClientError {
  constructor(
    readonly op: KvClientOp,
    readonly key: string,
    readonly elapsedMs: number,
    readonly attempts: number,
    readonly mayHaveApplied: boolean,
    /** The last attempt's problem, e.g. `http://127.0.0.1:8001: 503 NoLeader`. */
    readonly lastProblem: string,
  ) {
    const what = `${op} of key ${JSON.stringify(key)}`;
    const tried = `${attempts} attempt${attempts === 1 ? '' : 's'}; last: ${lastProblem}`;
    super(
      op === 'get'
        ? `${what} got no answer within ${elapsedMs} ms (${tried}): is a majority of the cluster up? Retry later`
        : mayHaveApplied
          ? `${what} did not complete within ${elapsedMs} ms (${tried}): its outcome is unknown, ` +
            'it may have been applied or may still be: read the key to find out before writing it again'
          : `${what} was not applied: no node accepted it within ${elapsedMs} ms (${tried}): ` +
            'is a majority of the cluster up? Retry later',
    );
  }
}

/**
 * A node refused the operation for good (400 bad key or body, 409 stale session, 413, 415,
 * 500...): retrying it as it is would get the same answer. `error` is the server's error
 * name (`BadKey`, `StaleSequence`...), `serverMessage` what it said to do.
 */
export class KvHttpError extends KvClientError {
  constructor(
    readonly op: KvClientOp,
    readonly key: string,
    readonly url: string,
    readonly status: number,
    readonly error: string,
    readonly serverMessage: string,
    /** The whole JSON body of the answer (empty when it was not JSON). */
    readonly body: Readonly<Record<string, unknown>>,
  ) {
    super(`${op} of key ${JSON.stringify(key)}: ${url} answered ${status} ${error}: ${serverMessage}`);
  }
}
