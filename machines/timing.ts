/** The three durations that drive a node's `after` transitions. */
export interface RaftTiming {
  /** How often a leader sends AppendEntries to each peer when it has nothing new. */
  readonly heartbeatIntervalMs: number;
  /** Election timeouts are drawn uniformly from [min, max] on every entry to a timed state. */
  readonly electionTimeoutMinMs: number;
  readonly electionTimeoutMaxMs: number;
}

/** Picks an election timeout from `draw`, a uniform integer source over [0, span]. */
export function electionTimeoutMs(timing: RaftTiming, draw: (span: number) => number): number {
  return timing.electionTimeoutMinMs + draw(timing.electionTimeoutMaxMs - timing.electionTimeoutMinMs);
}
