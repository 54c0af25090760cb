/**
 * The one outbound connection to one peer, used only for sending: connect, authenticate
 * (the client side of handshake-machine.ts), then write frames; on any close, reconnect
 * after a backoff delay. Frames wait in a bounded queue while the peer is unreachable, still
 * authenticating, or its socket holds more than HIGH_WATER_BYTES unsent (backpressure);
 * `send` never blocks and never throws.
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { RawData, WebSocket } from 'ws';
import { createActor } from 'xstate';
import type { NodeId } from '../../machines/index.js';
import { backoffDelay } from './backoff.js';
import { CLOSE_AUTH_FAILED, CLOSE_GOING_AWAY, CLOSE_INVALID_FRAME, closeSocket } from './close-codes.js';
import type { FrameCodec } from './codec.js';
import { FRAME_TOO_LARGE_ERROR } from './frame-limit.js';
import { ClientHandshake } from './handshake.js';
import { handshakeMachine } from './handshake-machine.js';
import type { BackoffOptions, TransportLogger } from './options.js';
import { OutboundQueue } from './outbound-queue.js';
import { frameBytes } from './raw-frame.js';
import type { StatsCounter } from './stats.js';

/** Unsent bytes a socket may hold before further frames wait in the queue. */
export const HIGH_WATER_BYTES = 1024 * 1024;

export interface PeerLinkContext {
  readonly self: NodeId;
  readonly secret: string;
  readonly codec: FrameCodec;
  readonly maxFrameBytes: number;
  readonly queueLimit: number;
  readonly backoff: BackoffOptions;
  readonly handshakeTimeoutMs: number;
  readonly logger: TransportLogger;
  readonly stats: StatsCounter;
  readonly WebSocket: typeof WebSocket;
}

export class PeerLink {
  readonly #queue: OutboundQueue;
  #socket: WebSocket | undefined;
  /** The TCP socket under #socket, once upgraded: corked while a turn's frames are written. */
  #tcp: Socket | undefined;
  #corked = false;
  #ready = false;
  #attempt = 0;
  #retry: NodeJS.Timeout | undefined;
  #started = false;
  #closed = false;
  /** Whether this outage was logged already (one line per outage, not per attempt). */
  #outageLogged = false;
  #socketClosed: Promise<void> = Promise.resolve();

  constructor(
    readonly peer: NodeId,
    readonly url: string,
    private readonly context: PeerLinkContext,
  ) {
    this.#queue = new OutboundQueue(context.queueLimit);
  }

  get queued(): number {
    return this.#queue.length;
  }

  /** Whether the link is authenticated and writing. */
  get connected(): boolean {
    return this.#ready;
  }

  start(): void {
    if (this.#started || this.#closed) return;
    this.#started = true;
    this.#connect();
  }

  send(frame: Buffer): void {
    if (this.#closed) {
      this.context.stats.add('dropped');
      return;
    }
    const socket = this.#socket;
    if (
      this.#ready &&
      socket !== undefined &&
      this.#queue.length === 0 &&
      socket.bufferedAmount < HIGH_WATER_BYTES
    ) {
      this.#write(socket, frame);
    } else if (this.#queue.push(frame)) {
      this.context.stats.add('dropped');
    }
  }

  /** Stops reconnecting, drops what is queued, closes the socket; resolves once it closed. */
  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#ready = false;
      clearTimeout(this.#retry);
      this.context.stats.add('dropped', this.#queue.clear());
      if (this.#socket !== undefined) closeSocket(this.#socket, CLOSE_GOING_AWAY, 'transport closed');
    }
    return this.#socketClosed;
  }

  #write(socket: WebSocket, frame: Buffer): void {
    this.context.stats.sentTo(this.peer, frame.length);
    this.#cork();
    socket.send(frame, { binary: this.context.codec.binary }, () => {
      // Written out (or failed): room in the socket's buffer, so the queue may move on.
      if (this.#queue.length > 0) this.#flush();
    });
  }

  /**
   * Frames written in one go (a turn's messages, a queue's backlog) leave in one TCP write:
   * the socket is corked until the ticks queued now have run.
   */
  #cork(): void {
    const tcp = this.#tcp;
    if (this.#corked || tcp === undefined) return;
    this.#corked = true;
    tcp.cork();
    process.nextTick(() => {
      this.#corked = false;
      tcp.uncork();
    });
  }

  #flush(): void {
    const socket = this.#socket;
    if (!this.#ready || socket === undefined) return;
    while (this.#queue.length > 0 && socket.bufferedAmount < HIGH_WATER_BYTES) {
      const frame = this.#queue.shift();
      if (frame !== undefined) this.#write(socket, frame);
    }
  }

  #connect(): void {
    const { context, peer } = this;
    const socket = new context.WebSocket(this.url, {
      maxPayload: context.maxFrameBytes,
      perMessageDeflate: false,
      handshakeTimeout: context.handshakeTimeoutMs,
      followRedirects: false,
      // Masking shields proxies from browser scripts; a peer is no browser, so frames go
      // unmasked (an all-zero mask), without the masking pass and its random bytes.
      generateMask: (mask) => void mask.fill(0),
    });
    this.#socket = socket;
    this.#tcp = undefined;
    this.#ready = false;
    socket.once('upgrade', (response: IncomingMessage) => {
      this.#tcp = response.socket;
    });
    this.#socketClosed = new Promise((resolve) => socket.once('close', () => resolve()));
    const handshake = createActor(
      handshakeMachine.provide({
        actions: {
          send: (_, { frame }) => socket.send(frame),
          refuse: (_, { why, reason }) => {
            context.stats.add('refusedConnections');
            context.logger.warn({ peer, url: this.url, why }, 'refused a peer: authentication failed');
            closeSocket(socket, CLOSE_AUTH_FAILED, reason);
          },
          authenticated: () => {
            this.#ready = true;
            this.#attempt = 0;
            this.#outageLogged = false;
            context.logger.info({ peer, url: this.url }, 'peer connected (outbound)');
            this.#flush();
          },
        },
      }),
      {
        input: {
          handshake: new ClientHandshake(context.self, peer, context.secret),
          timeoutMs: context.handshakeTimeoutMs,
        },
      },
    );

    socket.on('message', (data: RawData, isBinary: boolean) => {
      if (handshake.getSnapshot().matches('authenticating')) {
        handshake.send({ type: 'frame', text: isBinary ? undefined : frameBytes(data).toString('utf8') });
      } else if (this.#ready) {
        // The accepting side sends nothing after its welcome: this connection carries our frames only.
        this.#ready = false;
        context.stats.add('rejected');
        context.logger.warn(
          { peer, url: this.url },
          'refused a frame on an outbound connection; connection closed',
        );
        closeSocket(socket, CLOSE_INVALID_FRAME, 'invalid frame: nothing is expected after the welcome');
      }
    });

    socket.on('error', (error: Error & { code?: string }) => {
      if (error.code === FRAME_TOO_LARGE_ERROR) {
        context.stats.add('rejected');
        context.logger.warn(
          { peer, url: this.url, maxFrameBytes: context.maxFrameBytes },
          'refused a frame larger than maxFrameBytes; connection closed',
        );
      } else if (!this.#outageLogged && !this.#closed) {
        this.#outageLogged = true;
        context.logger.warn({ peer, url: this.url, why: error.message }, 'cannot reach peer; retrying');
      }
    });

    socket.on('close', (code: number, reasonBytes: Buffer) => {
      if (handshake.getSnapshot().matches('authenticating')) handshake.send({ type: 'closed' });
      if (this.#socket !== socket) return;
      const wasReady = this.#ready;
      this.#socket = undefined;
      this.#ready = false;
      if (this.#closed) return;
      const reason = reasonBytes.toString('utf8');
      if (code === CLOSE_AUTH_FAILED && !handshake.getSnapshot().matches('failed')) {
        context.logger.warn(
          { peer, url: this.url, code, reason },
          'peer refused this node: check that both share the secret and list each other as peers',
        );
      } else if (wasReady) {
        this.#outageLogged = true;
        context.logger.info({ peer, url: this.url, code, reason }, 'connection to peer lost; reconnecting');
      }
      this.#scheduleReconnect();
    });

    handshake.start(); // the handshake timeout runs from here, the connect included
  }

  #scheduleReconnect(): void {
    const delay = backoffDelay(this.#attempt, this.context.backoff);
    this.#attempt += 1;
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      if (!this.#closed) this.#connect();
    }, delay);
    this.#retry.unref();
  }
}
