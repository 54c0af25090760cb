/** What an application gives a Raft node: its deterministic state machine. */

export interface StateMachine<Command = unknown, Result = unknown> {
  /**
   * Applies a committed command, in log order, exactly once per node life (after a restart
   * the node restores the latest snapshot and applies what follows it again). Must be
   * deterministic: every node applies the same commands in the same order.
   */
  apply(command: Command, index: number): Result | Promise<Result>;
  /** The whole state, serialized: what `restore` takes back. */
  snapshot(): string | Promise<string>;
  /**
   * Replaces the whole state with a snapshot's: one this node or the leader took when it
   * had applied everything through `meta.index` (whose entry was of `meta.term`).
   */
  restore(snapshot: string, meta: SnapshotMeta): void | Promise<void>;
}

/** Where a snapshot sits in the log: the last entry it covers. */
export interface SnapshotMeta {
  readonly index: number;
  readonly term: number;
}
