/**
 * A real node's inspection feed, served over WebSocket: one JSON text frame per InspectEvent
 * (feed-protocol.ts), for the visualizer's live mode. Each client first gets a hello and the
 * events that bring it up to date (the node's state, its pending timers), then every event
 * as it happens. Node only.
 *
 * It costs nothing while no client is connected: the node's events are listened to only
 * while someone is. It never holds the node up: a client that reads too slowly for its
 * unsent frames to stay under a bound is dropped (FEED_CLOSE_TOO_SLOW), not waited for.
 *
 * Access: bound to loopback it is open to this machine (a browser page is admitted only
 * from a loopback origin); bound anywhere else it needs a secret, and each client must
 * present inspectToken(secret).
 */
import { once } from 'node:events';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { STATUS_CODES, createServer } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { WebSocketServer } from 'ws';
import type { NodeId, RaftMessage } from '../../machines/index.js';
import { stringifyJson } from '../../machines/index.js';
import type { RaftNode } from '../api/raft-node.js';
import { ConfigError, RaftError } from '../errors.js';
import { applyHttpLimits } from '../net/http-limits.js';
import { isLoopbackHost, isLoopbackOrigin } from '../net/loopback.js';
import type { BlockedPeers } from '../transport/blocked-peers.js';
import { CLOSE_GOING_AWAY, closeSocket } from '../transport/close-codes.js';
import { MIN_SECRET_LENGTH } from '../transport/options.js';
import type { FeedFrame } from './feed-protocol.js';
import { FEED_CLOSE_FULL, FEED_CLOSE_REFUSED, FEED_CLOSE_TOO_SLOW, messageKey } from './feed-protocol.js';
import type { InspectEvent } from './inspect-event.js';
import { inspectToken, presentedToken, tokenMatches } from './inspect-token.js';
import { feedFromNode } from './node-feed.js';
import { summarize } from './node-summary.js';

export interface InspectionFeedOptions {
  /** Where to listen: a loopback address (127.0.0.1) needs no secret, any other does. */
  readonly host: string;
  /** 0 picks a free port (the feed's `url` has the real one). */
  readonly port: number;
  /** The cluster secret (16+ characters): clients must then present inspectToken(secret). */
  readonly secret?: string;
  /** The wall clock events are stamped with; default Date.now, comparable across processes. */
  readonly now?: () => number;
  /** The node's own clock, which timer deadlines are on; default performance.now (the real clock's). */
  readonly nodeNow?: () => number;
  /** Every node of the cluster, for the hello. */
  readonly ids?: readonly NodeId[];
  /** The transport's blocked peers, so a message it will drop is reported `dropped`. */
  readonly blocked?: () => BlockedPeers;
  /** A client with more than this many bytes not yet sent is dropped; default 4 MiB. */
  readonly maxBufferedBytes?: number;
  /** Clients at once; more are refused (FEED_CLOSE_FULL). Default 32. */
  readonly maxClients?: number;
}

export interface InspectionFeed {
  /** `ws://host:port/`, with the real port. */
  readonly url: string;
  /** Clients connected now, and clients dropped for reading too slowly so far. */
  stats(): { readonly clients: number; readonly dropped: number };
  /** Closes every client (1001) and stops listening. */
  close(): Promise<void>;
}

export const DEFAULT_FEED_BUFFERED_BYTES = 4 * 1024 * 1024;
export const DEFAULT_FEED_CLIENTS = 32;

/** Binds the feed's server; rejects with ConfigError for bad options or an address it cannot bind. */
export async function serveInspectionFeed(
  node: RaftNode<unknown, unknown>,
  options: InspectionFeedOptions,
): Promise<InspectionFeed> {
  const { host, secret } = options;
  if (secret !== undefined && (typeof secret !== 'string' || secret.length < MIN_SECRET_LENGTH)) {
    throw new ConfigError(`the inspection feed's secret must be at least ${MIN_SECRET_LENGTH} characters`);
  }
  if (secret === undefined && !isLoopbackHost(host)) {
    throw new ConfigError(
      `the inspection feed on ${host} would be open to the network: give it the cluster secret ` +
        '(clients then present its token), or bind it to 127.0.0.1',
    );
  }
  const server = new FeedServer(node, options, secret === undefined ? null : inspectToken(secret));
  await server.listen();
  return server;
}

interface Client {
  readonly socket: WebSocket;
  /** Whether it has had the node's state (nodeUp); until then it waits for the node to start. */
  up: boolean;
}

class FeedServer implements InspectionFeed {
  readonly #node: RaftNode<unknown, unknown>;
  readonly #options: InspectionFeedOptions;
  readonly #token: string | null;
  readonly #now: () => number;
  readonly #nodeNow: () => number;
  readonly #maxBuffered: number;
  readonly #http: Server;
  readonly #upgrader: WebSocketServer;
  readonly #clients = new Set<Client>();
  #detach: (() => void) | null = null;
  #dropped = 0;
  #url = '';
  #closed: Promise<void> | null = null;

  constructor(node: RaftNode<unknown, unknown>, options: InspectionFeedOptions, token: string | null) {
    this.#node = node;
    this.#options = options;
    this.#token = token;
    this.#now = options.now ?? Date.now;
    this.#nodeNow = options.nodeNow ?? (() => performance.now());
    this.#maxBuffered = options.maxBufferedBytes ?? DEFAULT_FEED_BUFFERED_BYTES;
    this.#http = createServer(refuseWithoutUpgrade);
    // Sockets that never finish their upgrade go after 10 s; at most twice the clients at once.
    applyHttpLimits(this.#http, {
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 10_000,
      idleTimeoutMs: 5_000,
      maxConnections: 2 * (options.maxClients ?? DEFAULT_FEED_CLIENTS),
    });
    // Clients have nothing to send: a frame over 4 KiB closes the connection (1009).
    this.#upgrader = new WebSocketServer({
      noServer: true,
      maxPayload: 4096,
      perMessageDeflate: false,
      clientTracking: false,
    });
    this.#http.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (this.#closed !== null) return void socket.destroy();
      this.#upgrader.handleUpgrade(request, socket, head, (ws) => this.#accept(ws, request));
    });
  }

  get url(): string {
    return this.#url;
  }

  async listen(): Promise<void> {
    const { host, port } = this.#options;
    try {
      this.#http.listen(port, host); // throws at once for a port out of range
      await once(this.#http, 'listening');
    } catch (error) {
      throw new ConfigError(
        `cannot serve the inspection feed on ${host}:${port}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    const bound = this.#http.address();
    if (bound === null || typeof bound === 'string') throw new RaftError('the feed server has no address');
    this.#url = `ws://${host.includes(':') ? `[${host}]` : host}:${bound.port}/`;
  }

  stats(): { readonly clients: number; readonly dropped: number } {
    return { clients: this.#clients.size, dropped: this.#dropped };
  }

  close(): Promise<void> {
    this.#closed ??= this.#close();
    return this.#closed;
  }

  async #close(): Promise<void> {
    const closing = [...this.#clients].map(({ socket }) => {
      const closed = once(socket, 'close').then(() => undefined);
      closeSocket(socket, CLOSE_GOING_AWAY, 'the node is stopping');
      return closed;
    });
    this.#clients.clear();
    this.#setListening();
    const stopped = new Promise<void>((resolve) => this.#http.close(() => resolve()));
    this.#http.closeAllConnections();
    await Promise.all([stopped, ...closing]);
  }

  #accept(socket: WebSocket, request: IncomingMessage): void {
    const refusal = this.#refusal(request);
    if (refusal !== null) return closeSocket(socket, FEED_CLOSE_REFUSED, refusal);
    if (this.#closed !== null) return closeSocket(socket, CLOSE_GOING_AWAY, 'the node is stopping');
    if (this.#clients.size >= (this.#options.maxClients ?? DEFAULT_FEED_CLIENTS)) {
      return closeSocket(socket, FEED_CLOSE_FULL, 'the feed has as many clients as it serves: try later');
    }
    const client: Client = { socket, up: false };
    this.#clients.add(client);
    socket.on('close', () => this.#remove(client));
    socket.on('error', () => socket.terminate());
    socket.on('message', () => {}); // clients have nothing to say; what they send is ignored
    this.#send(client, { type: 'feedHello', node: this.#node.id, ...this.#idsField(), at: this.#now() });
    this.#catchUp(client);
    this.#setListening();
  }

  /** Why the request may not watch this node, or null if it may. */
  #refusal(request: IncomingMessage): string | null {
    if (this.#token !== null) {
      return tokenMatches(presentedToken(request), [this.#token])
        ? null
        : "a token is required: ?token=HMAC-SHA256(secret, 'raftchart-inspect') in hex";
    }
    const origin = request.headers.origin;
    return origin === undefined || isLoopbackOrigin(origin)
      ? null
      : `a page from ${origin} may not watch a local node: serve it from 127.0.0.1 or localhost`;
  }

  #idsField(): { ids?: readonly NodeId[] } {
    return this.#options.ids === undefined ? {} : { ids: this.#options.ids };
  }

  #remove(client: Client): void {
    if (this.#clients.delete(client)) this.#setListening();
  }

  /** Listens to the node exactly while a client is connected. */
  #setListening(): void {
    if (this.#clients.size > 0 && this.#detach === null) this.#detach = this.#listen();
    else if (this.#clients.size === 0 && this.#detach !== null) {
      this.#detach();
      this.#detach = null;
    }
  }

  #listen(): () => void {
    const node = this.#node;
    const stopFeed = feedFromNode(node, (event) => this.#publish(event), { now: this.#now, messages: true });
    const onReceived = (message: RaftMessage): void =>
      this.#publish({
        type: 'message',
        at: this.#now(),
        id: messageKey(message),
        phase: 'delivered',
        message,
      });
    const onError = (error: Error): void =>
      this.#publish({ type: 'nodeDown', at: this.#now(), node: node.id, reason: error.message });
    node.on('received', onReceived);
    node.on('error', onError);
    return () => {
      stopFeed();
      node.off('received', onReceived);
      node.off('error', onError);
    };
  }

  /**
   * Sends the node's state (nodeUp, and nodeDown if it failed) and pending timers, once it
   * has started; a client that connected before waits for the first step.
   */
  #catchUp(client: Client): void {
    const node = this.#node;
    let state;
    try {
      state = node.chartState();
    } catch {
      return; // not started yet
    }
    client.up = true;
    const at = this.#now();
    const summary = summarize(state.context, state.value, node.status().appliedIndex);
    this.#send(client, { type: 'nodeUp', at, node: node.id, summary });
    const failure = node.failure;
    if (failure !== null)
      return this.#send(client, { type: 'nodeDown', at, node: node.id, reason: failure.message });
    for (const timer of node.pendingTimers()) {
      this.#send(client, {
        type: 'timer',
        at,
        node: node.id,
        timer: timer.kind,
        deadline: this.#wall(timer.deadline),
      });
    }
  }

  #publish(raw: InspectEvent): void {
    const events = this.#onTheWire(raw);
    const frames = events.map((event) => stringifyJson(event));
    for (const client of this.#clients) {
      if (!client.up) {
        if (raw.type !== 'step') continue;
        this.#catchUp(client);
      }
      for (const frame of frames) this.#sendText(client, frame);
    }
  }

  /**
   * The feed's form of a node event: message ids both ends compute, timer deadlines on the
   * wall clock, and a message the transport will drop (a blocked peer) reported so.
   */
  #onTheWire(event: InspectEvent): InspectEvent[] {
    if (event.type === 'timer')
      return [{ ...event, deadline: event.deadline === null ? null : this.#wall(event.deadline) }];
    if (event.type !== 'message') return [event];
    const sent = { ...event, id: messageKey(event.message) };
    const blocked = event.phase === 'sent' && this.#options.blocked?.().outbound.includes(event.message.to);
    return blocked ? [sent, { ...sent, phase: 'dropped', reason: 'link blocked' }] : [sent];
  }

  #wall(deadline: number): number {
    return Math.round(deadline - this.#nodeNow() + this.#now());
  }

  #send(client: Client, frame: FeedFrame): void {
    this.#sendText(client, stringifyJson(frame));
  }

  #sendText(client: Client, text: string): void {
    const { socket } = client;
    if (socket.readyState !== 1 /* OPEN */) return;
    if (socket.bufferedAmount > this.#maxBuffered) {
      this.#dropped++;
      this.#remove(client);
      closeSocket(socket, FEED_CLOSE_TOO_SLOW, `too slow: over ${this.#maxBuffered} bytes unread; reconnect`);
      return;
    }
    socket.send(text);
  }
}

/** A plain HTTP request: only WebSocket upgrades are served here. */
function refuseWithoutUpgrade(_request: IncomingMessage, response: ServerResponse): void {
  const body = `${STATUS_CODES[426] ?? 'Upgrade Required'}: this is a node's inspection feed (WebSocket)`;
  response.writeHead(426, {
    'content-type': 'text/plain',
    'content-length': Buffer.byteLength(body),
    connection: 'close',
  });
  response.end(body);
}
