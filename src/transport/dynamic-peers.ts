/**
 * A transport whose peers can change while it runs, as the cluster's membership does: the
 * host tells it the members' addresses after each configuration change. A transport
 * without this (the simulator's network) reaches every node anyway.
 */
import type { NodeId } from '../../machines/index.js';
import type { Transport } from '../node/providers.js';

export interface DynamicPeers {
  /**
   * Replaces the peers (every node but this one: id -> its transport's ws:// URL). A new
   * peer gets a link, and its inbound connections are accepted from then on; a peer no
   * longer listed loses its link (frames queued for it are dropped) and its inbound
   * connection, and what it sends is no longer delivered; a peer listed with the same URL
   * keeps its link untouched (a new URL replaces the link). Blocks (`setBlocked`) on a
   * removed peer are lifted. Throws ConfigError, changing nothing, for a bad id or URL.
   * No effect once the transport is closed.
   */
  setPeers(peers: Readonly<Record<NodeId, string>>): void;
  /** The peers now: id -> URL. */
  peers(): Readonly<Record<NodeId, string>>;
}

/** Whether `transport` can change its peers at run time (the WebSocket transport can). */
export function hasDynamicPeers(transport: Transport): transport is Transport & DynamicPeers {
  const candidate = transport as Transport & Partial<DynamicPeers>;
  return typeof candidate.setPeers === 'function' && typeof candidate.peers === 'function';
}
