/**
 * One client call as a linearizability check sees it: what was asked, what came back, and
 * when (any one clock for the whole history: virtual milliseconds, performance.now()...).
 */
export interface Operation<I, O> {
  /** Who called; only shown in explanations (the check itself orders calls by time alone). */
  readonly client: string | number;
  readonly input: I;
  /** The answer; undefined: unknown (the call timed out or its client crashed). */
  readonly output: O | undefined;
  /** When the call was made. */
  readonly call: number;
  /**
   * When the answer came back; undefined: never (open-ended), so the operation may have taken
   * effect at any point after its call, or not at all.
   */
  readonly return: number | undefined;
  /**
   * Open operations only, optional: the time by which it took effect if it ever did. A
   * client with a session gives it: once the client's next write returned, the service
   * refuses the older request as stale. Bounding open operations keeps the search small;
   * unbounded, each one that never took effect stays a candidate to the end of the history.
   */
  readonly effectBy?: number;
}

/** Whether `operation` never returned: it may take effect any time after its call, or never. */
export function isOpen(operation: Operation<unknown, unknown>): boolean {
  return operation.return === undefined;
}
