/** Typed errors: each says what went wrong and what to do about it. */

export class RaftError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad options given to a node or cluster; the message names the option and the fix. */
export class ConfigError extends RaftError {}

/**
 * A node failed (its actor, its storage or its application threw) and stopped for good:
 * restart it (a supervisor should), and meanwhile use another node. The cause says where.
 */
export class NodeFailedError extends RaftError {
  constructor(
    readonly nodeId: string,
    readonly lastEvent: string,
    cause: unknown,
  ) {
    super(
      `node ${nodeId} failed while handling ${lastEvent}: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
  }
}

/**
 * A proposed command cannot be stored or sent as it is: not a plain JSON value, nested
 * deeper than `maxCommandDepth`, or larger than `maxCommandBytes` as JSON. Nothing reached
 * the log; fix the command (or raise the limit on every node) and propose it again.
 */
export class InvalidCommandError extends RaftError {
  constructor(readonly problem: string) {
    super(`${problem}; nothing was proposed`);
  }
}

/** This node does not lead; `leaderHint` names the node it believes does, if any: retry there. */
export class NotLeaderError extends RaftError {
  constructor(
    readonly nodeId: string,
    readonly leaderHint: string | null,
  ) {
    super(
      leaderHint === null
        ? `node ${nodeId} is not the leader and knows of none yet: retry shortly, or on another node`
        : `node ${nodeId} is not the leader: send the proposal to node ${leaderHint}`,
    );
  }
}

/**
 * Whether a proposal committed is unknown here: it may have, or may yet. Retry only an
 * idempotent command (or one carrying a client id and sequence, which applies once).
 */
export class ProposalOutcomeUnknownError extends RaftError {
  constructor(
    readonly index: number,
    message = `the proposal at index ${index} was replaced here by the leader's snapshot before this node ` +
      'applied it, so whether it committed is unknown; retry only an idempotent command',
  ) {
    super(message);
  }
}

/** A proposal was not applied within the time allowed; it may still commit later. */
export class ProposalTimeoutError extends ProposalOutcomeUnknownError {
  constructor(
    index: number,
    readonly timeoutMs: number,
  ) {
    super(
      index,
      `the proposal at index ${index} was not applied within ${timeoutMs} ms; it may still commit, ` +
        'so retry only an idempotent command',
    );
  }
}

/**
 * A read was not confirmed within the time allowed: the leader could not show it still
 * leads (a partition, an election) or this node could not reach it. Nothing changed; retry,
 * here or on another node.
 */
export class ReadTimeoutError extends RaftError {
  constructor(
    readonly nodeId: string,
    readonly timeoutMs: number,
  ) {
    super(
      `node ${nodeId} could not confirm a read with a quorum within ${timeoutMs} ms: nothing changed, ` +
        'so retry (here or on another node)',
    );
  }
}

/** The node was stopped (or not started): start it, or use another node. */
export class NodeStoppedError extends RaftError {
  constructor(readonly nodeId: string) {
    super(`node ${nodeId} is not running: call start() first, or use another node`);
  }
}

/**
 * A leadership transfer did not happen: the leader refused to start it (`reason`: the
 * target is no voter, another transfer is under way...) or gave up after an election
 * timeout without a new leader. The old leader leads on (when it still can): retry, or
 * pick another target.
 */
export class LeadershipTransferError extends RaftError {
  constructor(
    readonly nodeId: string,
    readonly target: string | null,
    readonly reason: string,
  ) {
    super(`node ${nodeId} did not hand its leadership${target === null ? '' : ` to ${target}`}: ${reason}`);
  }
}

/**
 * A membership change was refused before it reached the log (`reason` says why and what
 * to do: wait for the previous change to commit, promote a learner instead of adding it...),
 * or it did not commit in time (`index` set: its outcome is unknown; read the membership
 * before retrying).
 */
export class MembershipChangeError extends RaftError {
  constructor(
    readonly nodeId: string,
    readonly reason: string,
    readonly index: number | null = null,
  ) {
    super(`node ${nodeId} did not change the membership: ${reason}`);
  }
}
