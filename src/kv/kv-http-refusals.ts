/**
 * The HTTP answer to each typed error a key/value request can end with, and the outcome it
 * counts as in the metrics. A node that does not lead sends the client to the one that
 * does: 307 to the same path and query on the leader's client API (a 307 keeps the method
 * and body), with the same in a JSON body; 503 with Retry-After when it knows no leader (an
 * election is under way) or cannot name the leader's URL (the node was given no
 * `--peer-client` for it).
 */
import type { NodeId } from '../../machines/index.js';
import {
  InvalidCommandError,
  NodeFailedError,
  NodeStoppedError,
  NotLeaderError,
  ProposalOutcomeUnknownError,
  ProposalTimeoutError,
  ReadTimeoutError,
} from '../errors.js';
import {
  InvalidKeyError,
  InvalidSessionError,
  InvalidValueError,
  SequenceReusedError,
  StaleSequenceError,
} from './kv-errors.js';
import { HttpRefusal } from './kv-http-json.js';
import type { Outcome } from './kv-metrics.js';

export interface RefusalContext {
  /** Other nodes' client API addresses (id -> host:port). */
  readonly peerClients: Readonly<Record<NodeId, string>>;
  /** The request's path and query as sent, for the leader's URL. */
  readonly target: string;
}

/** How long a client should wait before retrying a node that knows no leader: an election takes about this. */
export const RETRY_AFTER_SECONDS = 1;

/** The answer to `error` and its outcome; an error of no known kind is returned as is (a 500). */
export function refusalFor(
  error: unknown,
  context: RefusalContext,
): { readonly refusal: HttpRefusal; readonly outcome: Outcome } | { readonly unknown: unknown } {
  if (error instanceof HttpRefusal) return { refusal: error, outcome: 'invalid' };
  if (error instanceof NotLeaderError) return notLeader(error, context);
  if (error instanceof ProposalOutcomeUnknownError) {
    return {
      outcome: 'timeout',
      refusal: new HttpRefusal(504, {
        error: error instanceof ProposalTimeoutError ? 'Timeout' : 'OutcomeUnknown',
        message:
          `${error.message}. A write may still commit: retry it with the same "client" and "seq" ` +
          'so that it applies once',
      }),
    };
  }
  if (error instanceof ReadTimeoutError) {
    return {
      outcome: 'timeout',
      refusal: new HttpRefusal(504, { error: 'Timeout', message: error.message }),
    };
  }
  if (error instanceof StaleSequenceError) {
    return {
      outcome: 'stale',
      refusal: new HttpRefusal(409, {
        error: 'StaleSequence',
        lastSeq: error.lastSeq,
        message: error.message,
      }),
    };
  }
  if (error instanceof SequenceReusedError) {
    return {
      outcome: 'stale',
      refusal: new HttpRefusal(409, {
        error: 'SequenceReused',
        op: error.op,
        appliedOp: error.appliedOp,
        message: error.message,
      }),
    };
  }
  if (error instanceof InvalidKeyError) {
    return { outcome: 'invalid', refusal: new HttpRefusal(400, { error: 'BadKey', message: error.message }) };
  }
  if (error instanceof InvalidValueError || error instanceof InvalidSessionError) {
    return {
      outcome: 'invalid',
      refusal: new HttpRefusal(400, { error: 'BadRequest', message: error.message }),
    };
  }
  // Keys, values and sessions are checked first: only the command's size is left to refuse.
  if (error instanceof InvalidCommandError) {
    return {
      outcome: 'too_large',
      refusal: new HttpRefusal(413, {
        error: 'PayloadTooLarge',
        message: `${error.message}: send a smaller value (or raise --max-command-bytes on every node)`,
      }),
    };
  }
  if (error instanceof NodeFailedError) {
    return { outcome: 'failed', refusal: new HttpRefusal(503, { error: 'Failed', message: error.message }) };
  }
  if (error instanceof NodeStoppedError) {
    return {
      outcome: 'stopped',
      refusal: new HttpRefusal(503, { error: 'Stopped', message: error.message }),
    };
  }
  return { unknown: error };
}

function notLeader(
  error: NotLeaderError,
  { peerClients, target }: RefusalContext,
): { readonly refusal: HttpRefusal; readonly outcome: Outcome } {
  const hint = error.leaderHint;
  const retry = { 'retry-after': String(RETRY_AFTER_SECONDS) };
  if (hint === null) {
    return {
      outcome: 'no_leader',
      refusal: new HttpRefusal(
        503,
        {
          error: 'NoLeader',
          leaderHint: null,
          leaderUrl: null,
          message: `${error.message} (an election is under way: retry in ${RETRY_AFTER_SECONDS} s)`,
        },
        retry,
      ),
    };
  }
  const address = peerClients[hint];
  if (address === undefined) {
    return {
      outcome: 'not_leader',
      refusal: new HttpRefusal(
        503,
        {
          error: 'NotLeader',
          leaderHint: hint,
          leaderUrl: null,
          message:
            `node ${error.nodeId} is not the leader; node ${hint} is, but this node was not given its ` +
            `client URL (--peer-client ${hint}=host:port): send the request to node ${hint}'s client API`,
        },
        retry,
      ),
    };
  }
  const leaderUrl = `http://${address}${target}`;
  return {
    outcome: 'not_leader',
    refusal: new HttpRefusal(
      307,
      {
        error: 'NotLeader',
        leaderHint: hint,
        leaderUrl,
        message: `node ${error.nodeId} is not the leader; node ${hint} is: send the same request to ${leaderUrl}`,
      },
      { location: leaderUrl },
    ),
  };
}
