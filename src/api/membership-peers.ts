/**
 * Keeps a transport's peer links equal to the cluster's membership: a member added with an
 * address gets a link, a removed one loses its own once its removal commits. Members of the bootstrap configuration
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

/**
 * What to call as the configuration changes, to bring the transport's links in line. A
 * member gets its link as soon as a configuration in force names it; a removed member keeps
 * its link until its removal commits, since until then the removal entry itself has to reach
 * it, and be acknowledged, over that link (a removed leader commits its own removal through
 * followers that would otherwise have cut it off on appending the entry).
 */
export function transportFollower(
  transport: DynamicPeers,
  self: NodeId,
): { inForce(config: ClusterConfig): void; committed(config: ClusterConfig): void } {
  // Every address ever known: a member removed and added back without one keeps it.
  let known: Record<NodeId, string> = { ...transport.peers() };
  const needed = (config: ClusterConfig) => {
    known = { ...known, ...config.addresses };
    return peersFor(config, self, known);
  };
  return {
    inForce(config) {
      const peers = needed(config);
      if (peers !== null) transport.setPeers({ ...transport.peers(), ...peers });
    },
    committed(config) {
      const peers = needed(config);
      if (peers !== null) transport.setPeers(peers);
    },
  };
}
