/**
 * The WebSocket transport: a server per node for inbound frames, one authenticated
 * outbound connection per peer for outbound frames (see peer-link.ts and
 * inbound-connection.ts). Implements the node's `Transport`: `send` is fire and forget,
 * messages may be lost (a full queue, a dead peer), and only schema-valid RaftMessages from
 * authenticated peers, addressed to this node, are ever delivered. The peers can change
 * while it runs (`setPeers`, as the cluster's membership does). docs/transport.md.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { STATUS_CODES, createServer } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { WebSocketServer } from 'ws';
import type { NodeId, RaftMessage } from '../../machines/index.js';
import { RaftError } from '../errors.js';
import { applyHttpLimits } from '../net/http-limits.js';
import type { Transport } from '../node/providers.js';
import type { BlockRequest, BlockedPeers } from './blocked-peers.js';
import { NOTHING_BLOCKED, resolveBlock } from './blocked-peers.js';
import { CLOSE_GOING_AWAY, CLOSE_NOT_A_PEER, CLOSE_REPLACED, closeSocket } from './close-codes.js';
import { WIRE_CODEC } from './codec.js';
import type { DynamicPeers } from './dynamic-peers.js';
import { frameLimitedWebSocket } from './frame-limit.js';
import { acceptInbound } from './inbound-connection.js';
import type { ResolvedOptions, WsTransportOptions } from './options.js';
import { resolveOptions, resolvePeers } from './options.js';
import { PeerLink } from './peer-link.js';
import { PendingConnections } from './pending-connections.js';
import type { TransportStats } from './stats.js';
import { StatsCounter } from './stats.js';
import { validateRaftMessage } from './wire-schema.js';

export interface WsTransport extends Transport, DynamicPeers {
  /** Binds the server, then starts connecting to every peer; resolves once listening. */
  start(): Promise<void>;
  /** Where the server listens (the real port when `listen.port` was 0); after `start`. */
  address(): { readonly host: string; readonly port: number };
  stats(): TransportStats;
  /**
   * Cuts links on purpose: every frame to and from the peers given (or only one direction,
   * `{ outbound, inbound }`) is dropped and counted in `stats().blocked`, until the next call
   * replaces the sets (`setBlocked([])` unblocks all). The connections stay up, so unblocking
   * is instant. Throws ConfigError for an id that is not a peer (now: see `setPeers`).
   */
  setBlocked(peers: BlockRequest): void;
  /** The peers blocked now, each direction sorted. */
  blocked(): BlockedPeers;
  /** `close()`, then waits until the server and every connection have closed. */
  stop(): Promise<void>;
}

/** Throws ConfigError for bad options, before anything binds or connects. */
export function createWsTransport(options: WsTransportOptions): WsTransport {
  return new WebSocketTransport(resolveOptions(options));
}

class WebSocketTransport implements WsTransport {
  readonly #options: ResolvedOptions;
  readonly #stats = new StatsCounter();
  readonly #WebSocket: typeof WebSocket;
  /** One link per peer now; `setPeers` adds and removes them. */
  readonly #links = new Map<NodeId, PeerLink>();
  /** Links of peers removed (or moved), until their sockets have closed, for stop() to wait on. */
  readonly #retiring = new Set<Promise<void>>();
  /** Every accepted socket, authenticated or not, so close() reaches them all. */
  readonly #sockets = new Set<WebSocket>();
  /** The current authenticated inbound connection per peer. */
  readonly #inbound = new Map<NodeId, WebSocket>();
  readonly #pending: PendingConnections;
  readonly #warned = new Set<string>();
  #blocked: BlockedPeers = NOTHING_BLOCKED;
  #blockedOut: ReadonlySet<NodeId> = new Set();
  #blockedIn: ReadonlySet<NodeId> = new Set();
  #deliver: ((message: RaftMessage) => void) | undefined;
  #server: Server | undefined;
  /** Settles once the server is listening or failed to: only then can it be closed for good. */
  #bound: Promise<void> = Promise.resolve();
  #state: 'new' | 'starting' | 'started' | 'closed' = 'new';
  #stopped: Promise<void> | undefined;

  constructor(options: ResolvedOptions) {
    this.#options = options;
    this.#WebSocket = frameLimitedWebSocket(options.maxFrameBytes);
    this.#pending = new PendingConnections(options.maxPendingConnections, this.#stats, options.logger);
    for (const [peer, url] of options.peers) this.#links.set(peer, this.#makeLink(peer, url));
  }

  #makeLink(peer: NodeId, url: string): PeerLink {
    const options = this.#options;
    return new PeerLink(peer, url, {
      self: options.id,
      secret: options.secret,
      codec: WIRE_CODEC,
      maxFrameBytes: options.maxFrameBytes,
      queueLimit: options.queueLimit,
      backoff: options.backoff,
      handshakeTimeoutMs: options.handshakeTimeoutMs,
      logger: options.logger,
      stats: this.#stats,
      WebSocket: this.#WebSocket,
    });
  }

  listen(deliver: (message: RaftMessage) => void): void {
    this.#deliver = deliver;
  }

  async start(): Promise<void> {
    if (this.#state !== 'new')
      throw new RaftError(`start() runs once, before close(); this transport is ${this.#state}`);
    this.#state = 'starting';
    const { host, port, maxFrameBytes, upgradeTimeoutMs, logger } = this.#options;
    const server = createServer(refuseWithoutUpgrade);
    // The upgrade request must be complete within upgradeTimeoutMs of the TCP accept; after
    // it, handshakeTimeoutMs bounds the handshake.
    applyHttpLimits(server, {
      headersTimeoutMs: upgradeTimeoutMs,
      requestTimeoutMs: upgradeTimeoutMs,
      idleTimeoutMs: upgradeTimeoutMs,
    });
    const upgrader = new WebSocketServer({
      noServer: true,
      maxPayload: maxFrameBytes,
      perMessageDeflate: false,
      clientTracking: false,
      WebSocket: this.#WebSocket,
    });
    server.on('connection', (socket: Socket) => this.#pending.admit(socket));
    server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) =>
      upgrader.handleUpgrade(request, socket, head, (webSocket) => this.#accept(webSocket, request)),
    );
    this.#server = server;
    const listening = new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
    this.#bound = listening.catch(() => undefined);
    server.listen(port, host);
    try {
      await listening;
    } catch (error) {
      this.#state = 'closed';
      throw new RaftError(
        `cannot listen on ${host}:${port}: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
    server.on('error', (error: Error) => logger.warn({ why: error.message }, 'transport server error'));
    if (this.#stopped !== undefined) return; // close() ran while binding, and undoes the bind
    this.#state = 'started';
    logger.info({ node: this.#options.id, ...this.address() }, 'transport listening');
    for (const link of this.#links.values()) link.start();
  }

  address(): { readonly host: string; readonly port: number } {
    const bound = this.#server?.address();
    if (bound === undefined || bound === null || typeof bound === 'string') {
      throw new RaftError('the transport is not listening: await start() first');
    }
    return { host: bound.address, port: bound.port };
  }

  stats(): TransportStats {
    let queued = 0;
    for (const link of this.#links.values()) queued += link.queued;
    return this.#stats.snapshot(queued);
  }

  setBlocked(peers: BlockRequest): void {
    const blocked = resolveBlock(peers, new Set(this.#links.keys()));
    this.#setBlockedSets(blocked);
    this.#options.logger.info({ node: this.#options.id, ...blocked }, 'blocked peers set');
  }

  #setBlockedSets(blocked: BlockedPeers): void {
    this.#blocked = blocked;
    this.#blockedOut = new Set(blocked.outbound);
    this.#blockedIn = new Set(blocked.inbound);
  }

  setPeers(peers: Readonly<Record<NodeId, string>>): void {
    const next = resolvePeers(this.#options.id, peers, 'setPeers');
    if (this.#state === 'closed') return;
    const removed: NodeId[] = [];
    const moved: NodeId[] = [];
    const added: NodeId[] = [];
    for (const [peer, link] of this.#links) {
      const url = next.get(peer);
      if (url === link.url) continue;
      this.#links.delete(peer);
      this.#retire(link);
      if (url === undefined) {
        removed.push(peer);
        this.#dropInbound(peer);
      } else {
        moved.push(peer);
      }
    }
    for (const [peer, url] of next) {
      if (this.#links.has(peer)) continue;
      const link = this.#makeLink(peer, url);
      this.#links.set(peer, link);
      // Before then, start() starts every link there is by the time it is listening.
      if (this.#state === 'started') link.start();
      if (!moved.includes(peer)) added.push(peer);
    }
    if (removed.length === 0 && added.length === 0 && moved.length === 0) return;
    const kept = (ids: readonly NodeId[]) => ids.filter((id) => this.#links.has(id));
    const { outbound, inbound } = this.#blocked;
    if (removed.some((peer) => outbound.includes(peer) || inbound.includes(peer))) {
      this.#setBlockedSets({ outbound: kept(outbound), inbound: kept(inbound) });
    }
    this.#options.logger.info({ node: this.#options.id, added, removed, moved }, 'peers changed');
  }

  peers(): Readonly<Record<NodeId, string>> {
    return Object.fromEntries([...this.#links].map(([peer, link]) => [peer, link.url]));
  }

  /** A link no longer wanted: closed (its queue dropped), and awaited by stop() until it is. */
  #retire(link: PeerLink): void {
    const closed = link.close().then(() => {
      this.#retiring.delete(closed);
    });
    this.#retiring.add(closed);
  }

  /** A removed peer's inbound connection goes too: nothing more from it reaches the node. */
  #dropInbound(peer: NodeId): void {
    const socket = this.#inbound.get(peer);
    if (socket === undefined) return;
    this.#inbound.delete(peer);
    closeSocket(socket, CLOSE_NOT_A_PEER, 'no longer a peer of this node');
  }

  blocked(): BlockedPeers {
    return this.#blocked;
  }

  send(message: RaftMessage): void {
    const { logger, maxFrameBytes, id } = this.#options;
    if (this.#state === 'closed') return this.#stats.add('dropped');
    const link = this.#links.get(message.to);
    if (link === undefined || message.from !== id) {
      this.#stats.add('dropped');
      this.#warnOnce(
        `address:${message.from}->${message.to}`,
        { from: message.from, to: message.to },
        'dropped a message not from this node to a configured peer',
      );
      return;
    }
    if (this.#blockedOut.has(message.to)) return this.#stats.add('blocked');
    const checked = validateRaftMessage(message);
    if (!checked.ok) {
      // The peer would refuse it and close the connection: better not to send it at all.
      this.#stats.add('dropped');
      logger.warn(
        { peer: message.to, type: message.type, why: checked.reason },
        'dropped an outbound message that is not a valid RaftMessage',
      );
      return;
    }
    let frame: Buffer;
    try {
      frame = WIRE_CODEC.encode(message);
    } catch (error) {
      this.#stats.add('dropped');
      logger.warn(
        { peer: message.to, type: message.type, why: error instanceof Error ? error.message : String(error) },
        'dropped an outbound message that cannot be encoded',
      );
      return;
    }
    if (frame.length > maxFrameBytes) {
      this.#stats.add('dropped');
      logger.warn(
        { peer: message.to, type: message.type, bytes: frame.length, maxFrameBytes },
        'dropped an outbound message larger than maxFrameBytes',
      );
      return;
    }
    link.send(frame);
  }

  close(): void {
    if (this.#stopped !== undefined) return;
    this.#state = 'closed';
    const closing: Promise<void>[] = [...this.#links.values()].map((link) => link.close());
    closing.push(...this.#retiring);
    for (const socket of this.#sockets) {
      closing.push(new Promise((resolve) => socket.once('close', () => resolve())));
      closeSocket(socket, CLOSE_GOING_AWAY, 'transport closed');
    }
    this.#pending.close();
    const server = this.#server;
    if (server !== undefined) closing.push(this.#closeServer(server));
    this.#stopped = Promise.all(closing).then(() => undefined);
  }

  stop(): Promise<void> {
    this.close();
    return this.#stopped ?? Promise.resolve();
  }

  /** Stops listening and cuts connections still sending their upgrade; upgraded ones close above. */
  async #closeServer(server: Server): Promise<void> {
    await this.#bound; // closing while listen() is still binding would not undo the bind
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections(); // only those not yet upgraded: Node hands the others over
    await closed;
  }

  #accept(socket: WebSocket, request: IncomingMessage): void {
    if (this.#state === 'closed') {
      socket.terminate();
      return;
    }
    const remote = `${request.socket.remoteAddress ?? '?'}:${request.socket.remotePort ?? '?'}`;
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
    const options = this.#options;
    acceptInbound(socket, remote, {
      self: options.id,
      secret: options.secret,
      codec: WIRE_CODEC,
      maxFrameBytes: options.maxFrameBytes,
      handshakeTimeoutMs: options.handshakeTimeoutMs,
      logger: options.logger,
      stats: this.#stats,
      isPeer: (peer) => this.#links.has(peer),
      authenticated: (peer, authenticated) => {
        this.#pending.authenticated(request.socket);
        this.#authenticated(peer, authenticated);
      },
      deliver: (message, bytes) => this.#receive(message, bytes),
    });
  }

  /** One inbound connection per peer: a newer one (the peer reconnected) replaces the old. */
  #authenticated(peer: NodeId, socket: WebSocket): void {
    if (!this.#links.has(peer)) {
      // Removed by setPeers while this connection was authenticating.
      closeSocket(socket, CLOSE_NOT_A_PEER, 'no longer a peer of this node');
      return;
    }
    const previous = this.#inbound.get(peer);
    if (previous !== undefined && previous !== socket) {
      closeSocket(previous, CLOSE_REPLACED, 'replaced by a newer connection from the same peer');
    }
    this.#inbound.set(peer, socket);
    socket.once('close', () => {
      if (this.#inbound.get(peer) === socket) this.#inbound.delete(peer);
    });
  }

  #receive(message: RaftMessage, bytes: number): void {
    const deliver = this.#deliver;
    // A removed peer's frames that were already read when its connection was closed.
    if (deliver === undefined || this.#state === 'closed' || !this.#links.has(message.from)) {
      this.#stats.add('dropped');
      return;
    }
    if (this.#blockedIn.has(message.from)) return this.#stats.add('blocked');
    this.#stats.receivedFrom(message.from, bytes);
    try {
      deliver(message);
    } catch (error) {
      this.#options.logger.warn(
        {
          peer: message.from,
          type: message.type,
          why: error instanceof Error ? error.message : String(error),
        },
        'the node threw while handling a delivered message',
      );
    }
  }

  #warnOnce(key: string, details: Record<string, unknown>, message: string): void {
    if (this.#warned.has(key)) return;
    this.#warned.add(key);
    this.#options.logger.warn(details, message);
  }
}

/** A plain HTTP request on the peer port: only WebSocket upgrades are served here. */
function refuseWithoutUpgrade(_request: IncomingMessage, response: ServerResponse): void {
  const body = STATUS_CODES[426] ?? 'Upgrade Required';
  response.writeHead(426, {
    'content-type': 'text/plain',
    'content-length': body.length,
    connection: 'close',
  });
  response.end(body);
}
