/** Typed errors: each says what went wrong and what to do about it. */

export class RaftError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad options given to a node or cluster; the message names the option and the fix. */
export class ConfigError extends RaftError {}

/** A node's actor failed: the node stopped, and the cause says where. */
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
