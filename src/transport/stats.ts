import type { NodeId } from '../../machines/index.js';

/** Traffic with one peer, in frames and their bytes on the wire. */
export interface PeerTraffic {
  readonly sentFrames: number;
  readonly sentBytes: number;
  readonly receivedFrames: number;
  readonly receivedBytes: number;
}

/** What a transport counts, for tests, logs and operators (`transport.stats()`). */
export interface TransportStats {
  /** Frames handed to a peer's socket. */
  readonly sent: number;
  /** Frames delivered to the node (valid RaftMessages from authenticated peers). */
  readonly received: number;
  /**
   * Outbound messages given up: queue full (the oldest goes), larger than maxFrameBytes,
   * unencodable or not a valid RaftMessage, addressed to an unknown peer, sent after close,
   * queued for a peer `setPeers` removed; and valid inbound frames that arrived before
   * `listen()`, after close, or from a peer `setPeers` removed.
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
  /** Per peer that frames went to or came from: what `sent` and `received` count, with bytes. */
  readonly peers: Readonly<Record<NodeId, PeerTraffic>>;
}

export type Counter = Exclude<keyof TransportStats, 'queued' | 'peers'>;

interface MutableTraffic {
  sentFrames: number;
  sentBytes: number;
  receivedFrames: number;
  receivedBytes: number;
}

export class StatsCounter {
  readonly #counts: Record<Counter, number> = {
    sent: 0,
    received: 0,
    dropped: 0,
    rejected: 0,
    refusedConnections: 0,
    blocked: 0,
  };

  readonly #peers = new Map<NodeId, MutableTraffic>();

  add(counter: Counter, n = 1): void {
    this.#counts[counter] += n;
  }

  /** A frame of `bytes` handed to `peer`'s socket. */
  sentTo(peer: NodeId, bytes: number): void {
    this.#counts.sent++;
    const traffic = this.#traffic(peer);
    traffic.sentFrames++;
    traffic.sentBytes += bytes;
  }

  /** A frame of `bytes` from `peer` delivered to the node. */
  receivedFrom(peer: NodeId, bytes: number): void {
    this.#counts.received++;
    const traffic = this.#traffic(peer);
    traffic.receivedFrames++;
    traffic.receivedBytes += bytes;
  }

  snapshot(queued: number): TransportStats {
    const peers: Record<NodeId, PeerTraffic> = {};
    for (const [peer, traffic] of this.#peers) peers[peer] = { ...traffic };
    return { ...this.#counts, queued, peers };
  }

  #traffic(peer: NodeId): MutableTraffic {
    let traffic = this.#peers.get(peer);
    if (traffic === undefined) {
      traffic = { sentFrames: 0, sentBytes: 0, receivedFrames: 0, receivedBytes: 0 };
      this.#peers.set(peer, traffic);
    }
    return traffic;
  }
}
