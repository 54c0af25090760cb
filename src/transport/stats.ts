/** What a transport counts, for tests, logs and operators (`transport.stats()`). */
export interface TransportStats {
  /** Frames handed to a peer's socket. */
  readonly sent: number;
  /** Frames delivered to the node (valid RaftMessages from authenticated peers). */
  readonly received: number;
  /**
   * Outbound messages given up: queue full (the oldest goes), larger than maxFrameBytes,
   * unencodable or not a valid RaftMessage, addressed to an unknown peer, sent after close;
   * and valid inbound frames that arrived before `listen()` or after close.
   */
  readonly dropped: number;
  /** Inbound frames refused (invalid, forged, misaddressed, oversized); each closed its connection. */
  readonly rejected: number;
  /**
   * Connections refused: they failed (or timed out in) the handshake, or arrived while
   * maxPendingConnections unauthenticated ones were open.
   */
  readonly refusedConnections: number;
  /** Frames dropped, either way, because their peer is blocked (`setBlocked`). */
  readonly blocked: number;
  /** Frames waiting in the outbound queues now. */
  readonly queued: number;
}

export type Counter = Exclude<keyof TransportStats, 'queued'>;

export class StatsCounter {
  readonly #counts: Record<Counter, number> = {
    sent: 0,
    received: 0,
    dropped: 0,
    rejected: 0,
    refusedConnections: 0,
    blocked: 0,
  };

  add(counter: Counter, n = 1): void {
    this.#counts[counter] += n;
  }

  snapshot(queued: number): TransportStats {
    return { ...this.#counts, queued };
  }
}
