/**
 * `createRaftNode`: a RaftNode as an application starts one in Node, with what only Node
 * has: optionally, the node's inspection feed served over WebSocket while it runs. (RaftNode
 * itself stays browser-safe, for the simulator.)
 */
import type { NodeId } from '../../machines/index.js';
import type { InspectionFeed } from '../inspect/feed-server.js';
import { serveInspectionFeed } from '../inspect/feed-server.js';
import { REAL_CLOCK } from '../node/real-clock.js';
import type { Transport } from '../node/providers.js';
import type { BlockedPeers } from '../transport/blocked-peers.js';
import type { WsTransport } from '../transport/ws-transport.js';
import { hasDynamicPeers } from '../transport/dynamic-peers.js';
import { transportFollower } from './membership-peers.js';
import type { RaftNodeOptions } from './raft-node.js';
import { RaftNode } from './raft-node.js';

/** Where the inspection feed listens, and the secret its clients' token is made from. */
export interface InspectionFeedAddress {
  /** 127.0.0.1 (or another loopback address) needs no secret; any other host does. */
  readonly host: string;
  /** 0 picks a free port: read it from `feed.url` after `start()`. */
  readonly port: number;
  /** The cluster secret: clients must present inspectToken(secret). */
  readonly secret?: string;
}

export interface CreateRaftNodeOptions<Command, Result> extends RaftNodeOptions<Command, Result> {
  /**
   * Serve the node's inspection feed (docs/api.md, "Inspection feed") while it runs. (Not
   * `inspect`, which is XState's own inspection hook.)
   */
  readonly inspectionFeed?: InspectionFeedAddress;
}

/** A RaftNode that serves its inspection feed, when asked to, from `start()` until `stop()`. */
export class InspectableRaftNode<Command = unknown, Result = unknown> extends RaftNode<Command, Result> {
  readonly #feedAddress: InspectionFeedAddress | undefined;
  readonly #ids: readonly NodeId[];
  readonly #clockNow: () => number;
  readonly #transport: Transport;
  #feed: InspectionFeed | null = null;
  /** Brings the transport's links in line with the configuration in force (recovered at start). */
  readonly #followMembership: (() => void) | null = null;

  constructor(options: CreateRaftNodeOptions<Command, Result>) {
    super(options);
    this.#feedAddress = options.inspectionFeed;
    this.#ids = [options.id, ...options.peers];
    const clock = options.clock ?? REAL_CLOCK;
    this.#clockNow = () => clock.now();
    this.#transport = options.transport;
    const { transport } = options;
    if (hasDynamicPeers(transport)) {
      const follow = transportFollower(transport, options.id);
      this.on('membership', (config) => follow.inForce(config));
      this.on('committed', (entry) => {
        if (entry.config !== undefined) follow.committed(entry.config);
      });
      this.#followMembership = () => follow.inForce(this.membership());
    }
  }

  /** The feed being served (its `url`), or null: none asked for, or the node is not running. */
  get feed(): InspectionFeed | null {
    return this.#feed;
  }

  /** Binds the feed first: a node that cannot serve what it was asked to never joins. */
  override async start(): Promise<void> {
    const address = this.#feedAddress;
    if (address === undefined) {
      await super.start();
      this.#followMembership?.();
      return;
    }
    const blocked = blockedOf(this.#transport);
    const feed = await serveInspectionFeed(this, {
      host: address.host,
      port: address.port,
      ...(address.secret === undefined ? {} : { secret: address.secret }),
      ids: this.#ids,
      nodeNow: this.#clockNow,
      ...(blocked === undefined ? {} : { blocked }),
    });
    try {
      await super.start();
    } catch (error) {
      await feed.close();
      throw error;
    }
    this.#followMembership?.();
    this.#feed = feed;
  }

  override async stop(): Promise<void> {
    await super.stop();
    const feed = this.#feed;
    this.#feed = null;
    await feed?.close();
  }
}

/** Creates a node; `start()` it to recover from storage and join the cluster. */
export function createRaftNode<Command = unknown, Result = unknown>(
  options: CreateRaftNodeOptions<Command, Result>,
): InspectableRaftNode<Command, Result> {
  return new InspectableRaftNode(options);
}

/** The transport's blocked peers, if it can block them (the WebSocket transport can). */
function blockedOf(transport: Transport): (() => BlockedPeers) | undefined {
  const { blocked } = transport as Transport & Partial<Pick<WsTransport, 'blocked'>>;
  return typeof blocked === 'function' ? () => blocked.call(transport) : undefined;
}
