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
  /** Replaces the whole state with a snapshot's. */
  restore(snapshot: string): void | Promise<void>;
}
