/**
 * Links cut on purpose (a partition made by an operator or the visualizer), as opposed to
 * links that failed: the transport drops every frame to or from a blocked peer while its
 * connections stay up, so healing takes effect with the next frame, with no reconnect.
 */
import type { NodeId } from '../../machines/index.js';
import { ConfigError } from '../errors.js';

export interface BlockedPeers {
  /** Frames to these peers are dropped before they leave. */
  readonly outbound: readonly NodeId[];
  /** Frames from these peers are dropped when they arrive, before the node sees them. */
  readonly inbound: readonly NodeId[];
}

/**
 * What `setBlocked` takes: a list of peers (both directions), or each direction on its own;
 * `peers` and a direction together add up.
 */
export type BlockRequest =
  | readonly NodeId[]
  | {
      readonly peers?: readonly NodeId[];
      readonly outbound?: readonly NodeId[];
      readonly inbound?: readonly NodeId[];
    };

export const NOTHING_BLOCKED: BlockedPeers = { outbound: [], inbound: [] };

/** The blocked sets `request` asks for; ConfigError for an id that is not one of `peers`. */
export function resolveBlock(request: BlockRequest, peers: ReadonlySet<NodeId>): BlockedPeers {
  const {
    both = [],
    outbound = [],
    inbound = [],
  } = isList(request)
    ? { both: request }
    : { both: request.peers, outbound: request.outbound, inbound: request.inbound };
  const check = (ids: readonly NodeId[]): readonly NodeId[] => {
    if (!Array.isArray(ids)) throw new ConfigError('blocked peers must be a list of peer ids');
    for (const id of ids) {
      if (!peers.has(id)) {
        throw new ConfigError(
          `cannot block "${String(id)}": it is not a peer of this node (peers: ${[...peers].join(', ') || 'none'})`,
        );
      }
    }
    return ids;
  };
  const all = check(both);
  return {
    outbound: [...new Set([...all, ...check(outbound)])].sort(),
    inbound: [...new Set([...all, ...check(inbound)])].sort(),
  };
}

function isList(request: BlockRequest): request is readonly NodeId[] {
  return Array.isArray(request);
}
