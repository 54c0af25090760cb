/**
 * Keeps a transport's peer links equal to the cluster's membership: a member added with an
 * address gets a link, a removed one loses its own. Members of the bootstrap configuration
 * keep the address the transport was given; an address in the configuration overrides it.
 */
import type { ClusterConfig, NodeId } from '../../machines/index.js';
import type { DynamicPeers } from '../transport/dynamic-peers.js';

/**
 * The peer links `config` needs on node `self`: every other member with an address, from
 * the configuration or else from `known`. A configuration with no voters is a joining
 * node's empty one: it changes nothing, so the node keeps the links it was started with.
 */
export function peersFor(
  config: ClusterConfig,
  self: NodeId,
  known: Readonly<Record<NodeId, string>>,
): Record<NodeId, string> | null {
  if (config.voters.length === 0) return null;
  const peers: Record<NodeId, string> = {};
  for (const member of [...config.voters, ...config.learners]) {
    if (member === self) continue;
    const url = Object.hasOwn(config.addresses, member) ? config.addresses[member] : known[member];
    if (url !== undefined) peers[member] = url;
  }
  return peers;
}

/** Returns what to call with each configuration in force, to bring the transport's links in line. */
export function transportFollower(transport: DynamicPeers, self: NodeId): (config: ClusterConfig) => void {
  // Every address ever known: a member removed and added back without one keeps it.
  let known: Record<NodeId, string> = { ...transport.peers() };
  return (config) => {
    known = { ...known, ...config.addresses };
    const peers = peersFor(config, self, known);
    if (peers !== null) transport.setPeers(peers);
  };
}
